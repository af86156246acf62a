/* Datagram sockets (and typed sockets in general): socket of a given type, sendto, recv,
   recvfrom, and LuaSocket's disconnect (connect to AF_UNSPEC). The caller's thread makes
   these calls itself, so the kernel's queue is the only one, as in LuaSocket. */
#include "luasocket.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef NI_MAXHOST
#define NI_MAXHOST 1025
#endif

/* socketOf(family, dgram): a non-blocking, close-on-exec socket of family 4, 6 or 1
   (unix), SOCK_DGRAM when dgram, else SOCK_STREAM. IPv6 sockets get IPV6_V6ONLY, as
   LuaSocket's inet_trycreate does. The fd, or -errno. */
JS_FN(js_socket_of) {
  GET_ARGS(2);
  int32_t tag;
  bool dgram;
  if (!arg_int(env, argv[0], "family", &tag) || !arg_bool(env, argv[1], "dgram", &dgram))
    return NULL;
  int af = af_from_tag(tag);
  if (af == 0) return js_int(env, -EAFNOSUPPORT);
  guards_reclaim_if_collected(env);
  return js_int(env, new_socket(af, dgram ? SOCK_DGRAM : SOCK_STREAM));
}

/* sendto(fd, data, offset, length, family, address, port): bytes sent or -errno. */
JS_FN(js_sendto) {
  GET_ARGS(7);
  int32_t fd, tag, port;
  uint8_t *data;
  size_t len;
  bool in_range;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_range(env, argv + 1, "data", &data, &len, &in_range) ||
      !arg_int(env, argv[4], "family", &tag))
    return NULL;
  char *addr;
  str_status st = arg_string(env, argv[5], "address", false, &addr);
  if (st == STR_THREW) return NULL;
  if (!arg_int(env, argv[6], "port", &port)) {
    free(addr);
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t sslen;
  int af = af_from_tag(tag);
  ssize_t n;
  if (!in_range || st != STR_OK || port < 0 || port > 65535 || (af != AF_INET && af != AF_INET6) ||
      !make_sockaddr(af, addr, (uint16_t)port, &ss, &sslen)) {
    errno = EINVAL;
    n = -1;
  } else {
    n = ls_sendto(fd, data, len, (struct sockaddr *)&ss, sslen);
  }
  free(addr);
  return js_int(env, n < 0 ? -errno : (int32_t)n);
}

/* recv(fd, buf, offset, length): one datagram (cut to length, the rest discarded by the
   kernel) or stream bytes; bytes received or -errno. */
JS_FN(js_recv) {
  GET_ARGS(4);
  int32_t fd;
  uint8_t *data;
  size_t len;
  bool in_range;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_range(env, argv + 1, "buf", &data, &len, &in_range))
    return NULL;
  if (!in_range) return js_int(env, -EINVAL);
  ssize_t n = ls_recvfrom(fd, data, len, NULL, NULL);
  return js_int(env, n < 0 ? -errno : (int32_t)n);
}

/* The sender of a datagram as LuaSocket reports it: [n, 4|6, numeric host, port] (from
   getnameinfo with NI_NUMERICHOST | NI_NUMERICSERV), [n, 1, path] for unix sockets (the
   path up to its first NUL, "" for an unnamed sender), or [n, 0, gai text] when
   getnameinfo fails. */
static napi_value sender(napi_env env, ssize_t n, struct sockaddr_storage *ss, socklen_t sslen) {
  if (ss->ss_family == AF_UNIX || sslen < (socklen_t)sizeof(sa_family_t)) {
    const char *path;
    size_t plen = sslen < (socklen_t)sizeof(sa_family_t) ? 0 : sockaddr_un_path(ss, sslen, &path);
    napi_value items[] = {js_int(env, (int32_t)n), js_int(env, 1), js_latin1(env, plen ? path : "", plen)};
    return js_tuple(env, 3, items);
  }
  char host[NI_MAXHOST], serv[8];
  int code = getnameinfo((struct sockaddr *)ss, sslen, host, sizeof host, serv, sizeof serv,
                         NI_NUMERICHOST | NI_NUMERICSERV);
  if (code != 0) {
    napi_value items[] = {js_int(env, (int32_t)n), js_int(env, 0), js_str(env, gai_strerror(code))};
    return js_tuple(env, 3, items);
  }
  napi_value items[] = {js_int(env, (int32_t)n), js_int(env, tag_from_af(ss->ss_family)),
                        js_str(env, host), js_int(env, (int32_t)strtol(serv, NULL, 10))};
  return js_tuple(env, 4, items);
}

/*
 * usocket.c's socket_recv loop in one call: recv(2), and while nothing is queued, poll(2)
 * for at most timeoutMs (0: do not wait) and try again. Bytes or -errno (-EAGAIN when the
 * time passed; the caller waits on in slices, so that process.exit never waits long).
 */
static ssize_t recv_waiting(int fd, uint8_t *data, size_t len, int timeout_ms, struct sockaddr_storage *ss,
                            socklen_t *sslen) {
  for (;;) {
    socklen_t room = sslen ? *sslen : 0;
    ssize_t n = ls_recvfrom(fd, data, len, (struct sockaddr *)ss, sslen);
    if (n >= 0 || errno != EAGAIN || timeout_ms <= 0) return n;
    if (sslen) *sslen = room;
    struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
    int rc = poll(&p, 1, timeout_ms);
    if (rc < 0 && errno != EINTR) return -1;
    if (rc == 0) {
      errno = EAGAIN;
      return -1;
    }
    timeout_ms = 0; /* one wait per call, as socket_waitfd's */
  }
}

/* recvWait(fd, buf, offset, length, timeoutMs): recv() waiting up to timeoutMs; bytes or -errno. */
JS_FN(js_recv_wait) {
  GET_ARGS(5);
  int32_t fd, timeout_ms;
  uint8_t *data;
  size_t len;
  bool in_range;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_range(env, argv + 1, "buf", &data, &len, &in_range) ||
      !arg_int(env, argv[4], "timeoutMs", &timeout_ms))
    return NULL;
  if (!in_range) return js_int(env, -EINVAL);
  ssize_t n = recv_waiting(fd, data, len, timeout_ms, NULL, NULL);
  return js_int(env, n < 0 ? -errno : (int32_t)n);
}

/* recvfromWait(fd, buf, offset, length, timeoutMs): -errno, or the size and sender (sender()). */
JS_FN(js_recvfrom_wait) {
  GET_ARGS(5);
  int32_t fd, timeout_ms;
  uint8_t *data;
  size_t len;
  bool in_range;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_range(env, argv + 1, "buf", &data, &len, &in_range) ||
      !arg_int(env, argv[4], "timeoutMs", &timeout_ms))
    return NULL;
  if (!in_range) return js_int(env, -EINVAL);
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  memset(&ss, 0, sizeof ss);
  ssize_t n = recv_waiting(fd, data, len, timeout_ms, &ss, &sslen);
  if (n < 0) return js_int(env, -errno);
  return sender(env, n, &ss, sslen);
}

/*
 * disconnect(fd, family): LuaSocket's inet_trydisconnect, connect(2) to an address of
 * family AF_UNSPEC sized as the socket's own family's, which dissolves a UDP socket's
 * association (Linux also drops what bind did not lock: an implicit or port-0 binding).
 * 0 or errno.
 */
JS_FN(js_disconnect) {
  GET_ARGS(2);
  int32_t fd, tag;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "family", &tag)) return NULL;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_family = AF_UNSPEC;
  socklen_t len;
  if (tag == 4)
    len = sizeof(struct sockaddr_in);
  else if (tag == 6)
    len = sizeof(struct sockaddr_in6);
  else
    return js_int(env, 0);
  return js_int(env, err_of(connect(fd, (struct sockaddr *)&ss, len)));
}
