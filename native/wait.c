/* Waiting on one descriptor: poll(2), with the module's own event bits. */
#include "luasocket.h"

#include <errno.h>
#include <poll.h>

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
