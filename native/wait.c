/* Waiting on one descriptor: poll(2), with the module's own event bits. */
#include "luasocket.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

/*
 * events/revents use 1 = readable, 4 = writable, 8 = error, 16 = hang-up, 32 = invalid
 * (the Linux POLL* values, spelled out so that JS never depends on the platform's).
 * Returns revents (0 on timeout) or -errno; EINTR is returned as such so the caller can
 * recompute its deadline.
 */
JS_FN(js_poll) {
  GET_ARGS(3);
  int32_t fd, events, timeout_ms;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "events", &events) ||
      !arg_int(env, argv[2], "timeoutMs", &timeout_ms))
    return NULL;
  struct pollfd p = {.fd = fd, .events = 0, .revents = 0};
  if (events & 1) p.events |= POLLIN;
  if (events & 4) p.events |= POLLOUT;
  int rc = poll(&p, 1, timeout_ms);
  if (rc < 0) return js_int(env, -errno);
  int out = 0;
  if (p.revents & POLLIN) out |= 1;
  if (p.revents & POLLOUT) out |= 4;
  if (p.revents & POLLERR) out |= 8;
  if (p.revents & POLLHUP) out |= 16;
  if (p.revents & POLLNVAL) out |= 32;
  return js_int(env, out);
}

/*
 * pollMany(fds, events, timeoutMs): poll(2) on several descriptors (Int32Arrays of equal
 * length, events as for poll()), until one is ready or the timeout passes: how many are
 * ready (0 on timeout), or -errno. What each reports is not returned: the caller asks
 * each object again.
 */
JS_FN(js_poll_many) {
  GET_ARGS(3);
  int32_t timeout_ms;
  bool is_ta = false;
  napi_typedarray_type t1, t2;
  size_t n1 = 0, n2 = 0;
  void *d1 = NULL, *d2 = NULL;
  napi_is_typedarray(env, argv[0], &is_ta);
  if (is_ta) napi_get_typedarray_info(env, argv[0], &t1, &n1, &d1, NULL, NULL);
  if (!is_ta || t1 != napi_int32_array) return throw_type(env, "fds", "an Int32Array"), NULL;
  is_ta = false;
  napi_is_typedarray(env, argv[1], &is_ta);
  if (is_ta) napi_get_typedarray_info(env, argv[1], &t2, &n2, &d2, NULL, NULL);
  if (!is_ta || t2 != napi_int32_array || n2 != n1) return throw_type(env, "events", "an Int32Array as long as fds"), NULL;
  if (!arg_int(env, argv[2], "timeoutMs", &timeout_ms)) return NULL;
  struct pollfd *p = calloc(n1 ? n1 : 1, sizeof *p);
  if (p == NULL) return js_int(env, -ENOMEM);
  const int32_t *fds = d1, *events = d2;
  for (size_t i = 0; i < n1; i++) {
    p[i].fd = fds[i];
    p[i].events = (short)(((events[i] & 1) ? POLLIN : 0) | ((events[i] & 4) ? POLLOUT : 0));
  }
  int rc = poll(p, (nfds_t)n1, timeout_ms);
  int err = errno;
  free(p);
  return js_int(env, rc < 0 ? -err : rc);
}
