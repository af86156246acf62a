/* Unix-domain addressing: bind, connect and sendto by path, and a socket's own or peer
   path. Paths are byte arrays; LuaSocket's strlen (the path ends at a NUL) and its
   "path too long" check are made by the caller before these run. */
#include "luasocket.h"

#include <errno.h>
#include <string.h>

typedef int (*addr_call)(int, const struct sockaddr *, socklen_t);

/* bind(2) or connect(2) to a path: 0 or errno (ENAMETOOLONG when it does not fit). */
static napi_value path_op(napi_env env, napi_callback_info info, addr_call call) {
  GET_ARGS(2);
  int32_t fd;
  uint8_t *path;
  size_t len;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_bytes(env, argv[1], "path", &path, &len))
    return NULL;
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (!make_sockaddr_un(path, len, &ss, &sslen)) return js_int(env, ENAMETOOLONG);
  return js_int(env, err_of(call(fd, (struct sockaddr *)&ss, sslen)));
}

JS_FN(js_bind_unix) { return path_op(env, info, bind); }

/* Non-blocking connect(2) to a path: 0, EINPROGRESS / EAGAIN (a full backlog), or the
   kernel's error. */
JS_FN(js_connect_unix) { return path_op(env, info, connect); }

/* sendtoUnix(fd, data, offset, length, path): bytes sent or -errno. */
JS_FN(js_sendto_unix) {
  GET_ARGS(5);
  int32_t fd;
  uint8_t *data, *path;
  size_t len, plen;
  bool in_range;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_range(env, argv + 1, "data", &data, &len, &in_range) ||
      !arg_bytes(env, argv[4], "path", &path, &plen))
    return NULL;
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (!in_range) return js_int(env, -EINVAL);
  if (!make_sockaddr_un(path, plen, &ss, &sslen)) return js_int(env, -ENAMETOOLONG);
  ssize_t n = ls_sendto(fd, data, len, (struct sockaddr *)&ss, sslen);
  return js_int(env, n < 0 ? -errno : (int32_t)n);
}

/* unixName(fd, peer): the socket's (or its peer's) path as LuaSocket reads it (up to the
   first NUL: "" when unbound or abstract), one char per byte; or errno. */
JS_FN(js_unix_name) {
  GET_ARGS(2);
  int32_t fd;
  bool peer;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_bool(env, argv[1], "peer", &peer)) return NULL;
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  memset(&ss, 0, sizeof ss);
  int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &sslen)
                : getsockname(fd, (struct sockaddr *)&ss, &sslen);
  if (rc != 0) return js_int(env, errno);
  const char *path;
  size_t n = sockaddr_un_path(&ss, sslen, &path);
  return js_latin1(env, n ? path : "", n);
}
