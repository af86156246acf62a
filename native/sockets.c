/* Socket lifecycle and writes: socket, bind, connect, listen, accept, dup, send,
   shutdown, close. */
#include "luasocket.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

JS_FN(js_socket) {
  GET_ARGS(1);
  int32_t tag;
  if (!arg_int(env, argv[0], "family", &tag)) return NULL;
  int af = af_from_tag(tag);
  if (af == 0) return js_int(env, -EAFNOSUPPORT);
  guards_reclaim_if_collected(env);
  return js_int(env, new_socket(af, SOCK_STREAM));
}

int new_socket(int af, int type) {
  int fd = ls_socket(af, type);
  if (fd < 0) return -errno;
  if (af == AF_INET6) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
      int err = errno;
      close(fd);
      return -err;
    }
  }
  return fd;
}

typedef int (*addr_call)(int, const struct sockaddr *, socklen_t);

/* bind(2) or connect(2) to a numeric address: 0 or errno. */
static napi_value addr_op(napi_env env, napi_callback_info info, addr_call call) {
  GET_ARGS(4);
  int32_t fd, tag, port;
  char *addr;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "family", &tag))
    return NULL;
  str_status st = arg_string(env, argv[2], "address", false, &addr);
  if (st == STR_THREW) return NULL;
  if (!arg_int(env, argv[3], "port", &port)) {
    free(addr);
    return NULL;
  }
  int af = af_from_tag(tag);
  struct sockaddr_storage ss;
  socklen_t len;
  int err;
  if (af == 0)
    err = EAFNOSUPPORT;
  else if (st != STR_OK || port < 0 || port > 65535 ||
           !make_sockaddr(af, addr, (uint16_t)port, &ss, &len))
    err = EINVAL;
  else
    err = err_of(call(fd, (struct sockaddr *)&ss, len));
  free(addr);
  return js_int(env, err);
}

JS_FN(js_bind) { return addr_op(env, info, bind); }

/* Non-blocking connect(2): 0, EINPROGRESS, or the kernel's answer for this socket's state
   (EALREADY, EISCONN, ECONNREFUSED, ECONNABORTED...), exactly what LuaSocket sees. */
JS_FN(js_connect) { return addr_op(env, info, connect); }

JS_FN(js_listen) {
  GET_ARGS(2);
  int32_t fd, backlog;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "backlog", &backlog))
    return NULL;
  return js_int(env, err_of(listen(fd, backlog)));
}

/* Non-blocking accept: the new descriptor, or -errno (-EAGAIN when none waits). */
JS_FN(js_accept) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  guards_reclaim_if_collected(env);
  int c = ls_accept(fd);
  return js_int(env, c < 0 ? -errno : c);
}

/* A close-on-exec duplicate (for the I/O worker): the new fd, or -errno. */
JS_FN(js_dup) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  guards_reclaim_if_collected(env);
  int copy = ls_dup_cloexec(fd);
  return js_int(env, copy < 0 ? -errno : copy);
}

JS_FN(js_shutdown) {
  GET_ARGS(2);
  int32_t fd, how;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "how", &how)) return NULL;
  static const int hows[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
  if (how < 0 || how > 2) return js_int(env, EINVAL);
  return js_int(env, err_of(shutdown(fd, hows[how])));
}

JS_FN(js_close) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  return js_int(env, ls_close(fd));
}

/*
 * send(2) without blocking and without SIGPIPE: the caller thread writes straight into
 * the kernel, so "sent" means what LuaSocket means (accepted by the OS), and bytes a
 * script sent survive the script's exit. Returns bytes sent, or -errno.
 */
JS_FN(js_send) {
  GET_ARGS(4);
  int32_t fd;
  uint8_t *data;
  size_t len;
  bool in_range;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_range(env, argv + 1, "data", &data, &len, &in_range))
    return NULL;
  if (!in_range) return js_int(env, -EINVAL);
  ssize_t n = ls_send(fd, data, len);
  return js_int(env, n < 0 ? -errno : (int32_t)n);
}
