/* Socket options and introspection: addresses, family and type, int options, linger,
   pending error. */
#include "luasocket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

/* Shared body of getsockname/getpeername: [address, port, family] or errno. */
static napi_value sock_name(napi_env env, napi_callback_info info, name_fn fn) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (fn(fd, (struct sockaddr *)&ss, &len) != 0) return js_int(env, errno);
  char addr[INET6_ADDRSTRLEN];
  int port, tag;
  if (!sockaddr_parts((struct sockaddr *)&ss, addr, sizeof addr, &port, &tag))
    return js_int(env, EAFNOSUPPORT);
  napi_value items[] = {js_str(env, addr), js_int(env, port), js_int(env, tag)};
  return js_tuple(env, 3, items);
}

JS_FN(js_getsockname) { return sock_name(env, info, getsockname); }

JS_FN(js_getpeername) { return sock_name(env, info, getpeername); }

/*
 * 1 if the fd is a socket, 0 if not, -errno (e.g. -EBADF) on failure. Asked of the
 * socket layer rather than with fstat(2), which glibc 2.33+ headers bind to a symbol
 * version that older glibc lacks: the prebuilt helper must load there too.
 */
JS_FN(js_is_socket) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  int type;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0) return js_int(env, 1);
  return js_int(env, errno == ENOTSOCK ? 0 : -errno);
}

/* Reads an int-sized socket option; the int is zeroed first for short options. */
static int get_int_opt(int fd, int level, int name, int *value) {
  socklen_t len = sizeof *value;
  *value = 0;
  return err_of(getsockopt(fd, level, name, value, &len));
}

/* [errno, family, type]: family 4/6 for IP sockets, else the raw AF_* value. */
JS_FN(js_socket_info) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  int af = 0, type = 0;
  int err = ls_socket_family(fd, &af);
  if (err == 0) err = get_int_opt(fd, SOL_SOCKET, SO_TYPE, &type);
  napi_value items[] = {js_int(env, err), js_int(env, err ? 0 : tag_from_af(af)),
                        js_int(env, err ? 0 : type)};
  return js_tuple(env, 3, items);
}

JS_FN(js_setsockopt_int) {
  GET_ARGS(4);
  int32_t fd, level, name, value;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "level", &level) ||
      !arg_int(env, argv[2], "name", &name) || !arg_int(env, argv[3], "value", &value))
    return NULL;
  int v = value;
  return js_int(env, err_of(setsockopt(fd, level, name, &v, sizeof v)));
}

JS_FN(js_getsockopt_int) {
  GET_ARGS(3);
  int32_t fd, level, name;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "level", &level) ||
      !arg_int(env, argv[2], "name", &name))
    return NULL;
  int value;
  int err = get_int_opt(fd, level, name, &value);
  napi_value items[] = {js_int(env, err), js_int(env, err ? 0 : value)};
  return js_tuple(env, 2, items);
}

JS_FN(js_set_linger) {
  GET_ARGS(3);
  int32_t fd, seconds;
  bool on;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_bool(env, argv[1], "on", &on) ||
      !arg_int(env, argv[2], "seconds", &seconds))
    return NULL;
  struct linger l = {.l_onoff = on ? 1 : 0, .l_linger = seconds};
  return js_int(env, err_of(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l)));
}

JS_FN(js_get_linger) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  struct linger l = {0, 0};
  socklen_t len = sizeof l;
  int err = err_of(getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len));
  napi_value items[] = {js_int(env, err), js_bool(env, !err && l.l_onoff != 0),
                        js_int(env, err ? 0 : l.l_linger)};
  return js_tuple(env, 3, items);
}

/* SO_ERROR's pending error (reading clears it), or -errno if getsockopt failed. */
JS_FN(js_get_socket_error) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  int value;
  int err = get_int_opt(fd, SOL_SOCKET, SO_ERROR, &value);
  return js_int(env, err ? -err : value);
}

/* setsockoptBytes(fd, level, name, value): a structured option (ip_mreq, ipv6_mreq,
   in_addr) whose bytes the caller laid out. 0 or errno. */
JS_FN(js_setsockopt_bytes) {
  GET_ARGS(4);
  int32_t fd, level, name;
  uint8_t *data;
  size_t len;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "level", &level) ||
      !arg_int(env, argv[2], "name", &name) || !arg_bytes(env, argv[3], "value", &data, &len))
    return NULL;
  return js_int(env, err_of(setsockopt(fd, level, name, data, (socklen_t)len)));
}

/* getsockoptBytes(fd, level, name, size): [errno, the option's bytes (at most size)]. */
JS_FN(js_getsockopt_bytes) {
  GET_ARGS(4);
  int32_t fd, level, name, size;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "level", &level) ||
      !arg_int(env, argv[2], "name", &name) || !arg_int(env, argv[3], "size", &size))
    return NULL;
  uint8_t buf[64];
  memset(buf, 0, sizeof buf);
  socklen_t len = size < 0 ? 0 : size > (int32_t)sizeof buf ? (socklen_t)sizeof buf : (socklen_t)size;
  int err = err_of(getsockopt(fd, level, name, buf, &len));
  napi_value bytes = NULL;
  void *copy = NULL;
  napi_create_buffer_copy(env, err ? 0 : len, buf, &copy, &bytes);
  napi_value items[] = {js_int(env, err), bytes};
  return js_tuple(env, 2, items);
}
