/*
 * luasocket_native: thin, synchronous wrappers around POSIX socket calls on
 * raw file descriptors, used by the LuaSocket re-implementation.
 *
 * Conventions (src/native.ts carries the typed surface):
 *  - nothing throws, except a TypeError for JS arguments of the wrong type;
 *  - an "errno" result is a positive errno value, 0 meaning success;
 *  - calls that produce an fd return it, or -errno on failure;
 *  - there is no global state, so the module loads in any number of
 *    worker_threads (NAPI_MODULE_INIT makes it context-aware).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* GNU strerror_r, EAI_ADDRFAMILY/EAI_NODATA, NI_MAXHOST */
#endif
/* Experimental Node-API for "basic" finalizers: those run synchronously inside the
   garbage collector instead of on a later event-loop turn, which a blocking script that
   never yields would never reach. The guard finalizer below only calls close(2). */
#define NAPI_EXPERIMENTAL /* also selects the experimental Node-API version */

#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef NI_MAXHOST
#define NI_MAXHOST 1025
#endif
#ifndef NI_MAXSERV
#define NI_MAXSERV 32
#endif
#ifndef HOST_NAME_MAX
#define HOST_NAME_MAX 255
#endif

/* Upper bound for the gethostby*_r scratch buffer, which doubles on ERANGE. */
#define HOSTENT_BUF_MAX (1 << 20)

/*
 * Fetches the first n call arguments into argv; N-API fills missing ones with
 * undefined, which the arg_* helpers then reject with a TypeError.
 */
#define GET_ARGS(n)                                                            \
  napi_value argv[n];                                                          \
  size_t argc = (n);                                                           \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL)

/* ------------------------------------------------------------------------- */
/* Argument parsing: each helper throws a TypeError and returns false on a    */
/* value of the wrong JS type, so callers just `return NULL`.                 */
/* ------------------------------------------------------------------------- */

static bool throw_type(napi_env env, const char *name, const char *expected) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s must be %s", name, expected);
  napi_throw_type_error(env, NULL, msg);
  return false;
}

static bool is_type(napi_env env, napi_value v, napi_valuetype want) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == want;
}

/*
 * Reads an integral int32. napi_get_value_int32 alone would truncate 3.5 and
 * wrap 2^32 + 3 to 3, silently turning garbage into a live fd.
 */
static bool arg_int(napi_env env, napi_value v, const char *name, int32_t *out) {
  double d;
  if (!is_type(env, v, napi_number) || napi_get_value_double(env, v, &d) != napi_ok ||
      d != d || d < INT32_MIN || d > INT32_MAX || d != (double)(int32_t)d)
    return throw_type(env, name, "an int32 integer");
  *out = (int32_t)d;
  return true;
}

static bool arg_bool(napi_env env, napi_value v, const char *name, bool *out) {
  if (!is_type(env, v, napi_boolean) || napi_get_value_bool(env, v, out) != napi_ok)
    return throw_type(env, name, "a boolean");
  return true;
}

typedef enum { STR_OK, STR_NULL, STR_HAS_NUL, STR_THREW } str_status;

/*
 * Copies a JS string into a malloc'd C string (*out, caller frees).
 * null/undefined yield STR_NULL when nullable. A string with an embedded NUL
 * yields STR_HAS_NUL (and no copy): C would silently see only its prefix, so
 * callers report it as "does not parse" instead.
 */
static str_status arg_string(napi_env env, napi_value v, const char *name, bool nullable,
                             char **out) {
  *out = NULL;
  if (nullable && (is_type(env, v, napi_null) || is_type(env, v, napi_undefined)))
    return STR_NULL;
  size_t len;
  if (!is_type(env, v, napi_string) ||
      napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    throw_type(env, name, nullable ? "a string or null" : "a string");
    return STR_THREW;
  }
  char *s = malloc(len + 1);
  if (s == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return STR_THREW;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) {
    free(s);
    return STR_HAS_NUL;
  }
  *out = s;
  return STR_OK;
}

/* ------------------------------------------------------------------------- */
/* Result builders. N-API creation calls only fail with an exception already  */
/* pending; the NULL they leave behind then surfaces as that exception.       */
/* ------------------------------------------------------------------------- */

static napi_value js_int(napi_env env, int32_t v) {
  napi_value r = NULL;
  napi_create_int32(env, v, &r);
  return r;
}

static napi_value js_bool(napi_env env, bool v) {
  napi_value r = NULL;
  napi_get_boolean(env, v, &r);
  return r;
}

static napi_value js_null(napi_env env) {
  napi_value r = NULL;
  napi_get_null(env, &r);
  return r;
}

/* A C string, or JS null for NULL. */
static napi_value js_str(napi_env env, const char *s) {
  if (s == NULL) return js_null(env);
  napi_value r = NULL;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r);
  return r;
}

static napi_value js_tuple(napi_env env, size_t n, const napi_value *items) {
  napi_value arr = NULL;
  napi_create_array_with_length(env, n, &arr);
  for (size_t i = 0; i < n; i++) napi_set_element(env, arr, (uint32_t)i, items[i]);
  return arr;
}

static void push(napi_env env, napi_value arr, napi_value item) {
  uint32_t len = 0;
  napi_get_array_length(env, arr, &len);
  napi_set_element(env, arr, len, item);
}

static napi_value new_array(napi_env env) {
  napi_value arr = NULL;
  napi_create_array(env, &arr);
  return arr;
}

/* Syscall status (0 / -1 with errno) to the module's "errno" convention. */
static int err_of(int rc) { return rc == 0 ? 0 : errno; }

/* ------------------------------------------------------------------------- */
/* Address helpers                                                            */
/* ------------------------------------------------------------------------- */

/* JS family tag (4/6) to AF_*; 0 when the tag is unknown. */
static int af_from_tag(int32_t tag) {
  return tag == 4 ? AF_INET : tag == 6 ? AF_INET6 : 0;
}

/* AF_* to the JS family tag; non-IP families pass through raw. */
static int tag_from_af(int af) {
  return af == AF_INET ? 4 : af == AF_INET6 ? 6 : af;
}

/* Builds a sockaddr from a numeric literal; false if the literal does not parse. */
static bool make_sockaddr(int af, const char *addr, uint16_t port,
                          struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (af == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    *len = sizeof *in;
    return inet_pton(AF_INET, addr, &in->sin_addr) == 1;
  }
  if (af == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    *len = sizeof *in6;
    return inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1;
  }
  return false;
}

/* Splits an IP sockaddr into numeric text, host-order port and family tag. */
static bool sockaddr_parts(const struct sockaddr *sa, char *addr, size_t addrlen,
                           int *port, int *tag) {
  const void *raw;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    raw = &in->sin_addr;
    *port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    raw = &in6->sin6_addr;
    *port = ntohs(in6->sin6_port);
  } else {
    return false;
  }
  *tag = tag_from_af(sa->sa_family);
  return inet_ntop(sa->sa_family, raw, addr, (socklen_t)addrlen) != NULL;
}

/* ------------------------------------------------------------------------- */
/* Error texts                                                                */
/* ------------------------------------------------------------------------- */

/* Thread-safe strerror (plain strerror may share a static buffer). */
static void errno_text(int err, char *buf, size_t len) {
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  const char *s = strerror_r(err, buf, len); /* GNU variant: may return a static string */
  if (s != buf) snprintf(buf, len, "%s", s);
#else
  if (strerror_r(err, buf, len) != 0) snprintf(buf, len, "Unknown error %d", err);
#endif
}

static napi_value js_strerror(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t err;
  if (!arg_int(env, argv[0], "errno", &err)) return NULL;
  char buf[256];
  errno_text(err, buf, sizeof buf);
  return js_str(env, buf);
}

static napi_value js_gai_strerror(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t code;
  if (!arg_int(env, argv[0], "code", &code)) return NULL;
  return js_str(env, gai_strerror(code));
}

static napi_value js_hstrerror(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t herr;
  if (!arg_int(env, argv[0], "herrno", &herr)) return NULL;
  return js_str(env, hstrerror(herr));
}

/* ------------------------------------------------------------------------- */
/* Socket lifecycle                                                           */
/* ------------------------------------------------------------------------- */

/* A non-blocking, close-on-exec stream socket, atomically where possible. */
static int open_stream_socket(int af) {
#ifdef SOCK_NONBLOCK
  return socket(af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
  int fd = socket(af, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
      fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
#endif
}

static napi_value js_socket(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t tag;
  if (!arg_int(env, argv[0], "family", &tag)) return NULL;
  int af = af_from_tag(tag);
  if (af == 0) return js_int(env, -EAFNOSUPPORT);
  int fd = open_stream_socket(af);
  if (fd < 0) return js_int(env, -errno);
  /* IPv6 sockets are IPv6-only, as in LuaSocket; dual-stack is never implicit. */
  if (af == AF_INET6) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
      int err = errno;
      close(fd);
      return js_int(env, -err);
    }
  }
  return js_int(env, fd);
}

typedef int (*addr_call)(int, const struct sockaddr *, socklen_t);

/* bind(2) or connect(2) to a numeric address: 0 or errno (EINTR retried for bind only). */
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

static napi_value js_bind(napi_env env, napi_callback_info info) { return addr_op(env, info, bind); }

/* Non-blocking connect(2): 0, EINPROGRESS, or the kernel's answer for this socket's state
   (EALREADY, EISCONN, ECONNREFUSED, ECONNABORTED...), exactly what LuaSocket sees. */
static napi_value js_connect(napi_env env, napi_callback_info info) { return addr_op(env, info, connect); }

static napi_value js_listen(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t fd, backlog;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "backlog", &backlog))
    return NULL;
  return js_int(env, err_of(listen(fd, backlog)));
}

static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  GET_ARGS(2);
  int32_t fd, how;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "how", &how)) return NULL;
  static const int hows[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
  if (how < 0 || how > 2) return js_int(env, EINVAL);
  return js_int(env, err_of(shutdown(fd, hows[how])));
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  int err = err_of(close(fd));
#ifdef __linux__
  /* Linux releases the fd even when close() reports EINTR; a caller retrying
     on EINTR could close an unrelated, freshly reused descriptor. */
  if (err == EINTR) err = 0;
#endif
  return js_int(env, err);
}

/*
 * send(2) without blocking and without SIGPIPE: the caller thread writes straight into
 * the kernel, so "sent" means what LuaSocket means (accepted by the OS), and bytes a
 * script sent survive the script's exit. Returns bytes sent, or -errno.
 */
static napi_value js_send(napi_env env, napi_callback_info info) {
  GET_ARGS(4);
  int32_t fd, offset, length;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[2], "offset", &offset) ||
      !arg_int(env, argv[3], "length", &length))
    return NULL;
  bool is_ta = false;
  napi_is_typedarray(env, argv[1], &is_ta);
  if (!is_ta) return throw_type(env, "data", "a Uint8Array"), NULL;
  napi_typedarray_type type;
  size_t len;
  void *data;
  napi_get_typedarray_info(env, argv[1], &type, &len, &data, NULL, NULL);
  if (type != napi_uint8_array || offset < 0 || length < 0 || (size_t)offset + (size_t)length > len)
    return js_int(env, -EINVAL);
  ssize_t n;
  do {
    n = send(fd, (const char *)data + offset, (size_t)length, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return js_int(env, n < 0 ? -errno : (int32_t)n);
}

/*
 * poll(2) on one descriptor. events/revents use 1 = readable, 4 = writable, 8 = error,
 * 16 = hang-up (POLLIN/POLLOUT/POLLERR/POLLHUP on Linux). Returns revents (0 on
 * timeout) or -errno; EINTR is returned as such so the caller can recompute its deadline.
 */
static napi_value js_poll(napi_env env, napi_callback_info info) {
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

/* ------------------------------------------------------------------------- */
/* Garbage-collection guards: LuaSocket closes a socket object that becomes     */
/* garbage. A guard is an external tied to the JS object; when the collector   */
/* frees it, the finalizer closes the caller's descriptor and queues the       */
/* channel id for the owning I/O worker, which polls the queue (takeOrphans). */
/* ------------------------------------------------------------------------- */

typedef struct guard {
  int fd;
  int32_t engine;
  int32_t channel;
  bool armed;
} guard;

typedef struct orphan {
  int32_t engine;
  int32_t channel;
} orphan;

static pthread_mutex_t orphans_lock = PTHREAD_MUTEX_INITIALIZER;
static orphan *orphans = NULL;
static size_t orphans_len = 0, orphans_cap = 0;

static void queue_orphan(int32_t engine, int32_t channel) {
  pthread_mutex_lock(&orphans_lock);
  if (orphans_len == orphans_cap) {
    size_t cap = orphans_cap ? orphans_cap * 2 : 64;
    orphan *grown = realloc(orphans, cap * sizeof *orphans);
    if (!grown) { /* out of memory: the worker keeps the channel; nothing else breaks */
      pthread_mutex_unlock(&orphans_lock);
      return;
    }
    orphans = grown;
    orphans_cap = cap;
  }
  orphans[orphans_len++] = (orphan){engine, channel};
  pthread_mutex_unlock(&orphans_lock);
}

/* Runs inside the garbage collector: no JS, only close(2) and the queue. */
static void guard_finalize(node_api_basic_env env, void *data, void *hint) {
  guard *g = data;
  if (g->armed) {
    if (g->fd >= 0) close(g->fd);
    if (g->channel > 0) queue_orphan(g->engine, g->channel);
  }
  free(g);
}

static napi_value js_guard(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t fd, engine, channel;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "engine", &engine) ||
      !arg_int(env, argv[2], "channel", &channel))
    return NULL;
  guard *g = malloc(sizeof *g);
  if (!g) return js_null(env);
  *g = (guard){fd, engine, channel, true};
  napi_value ext;
  if (napi_create_external(env, g, guard_finalize, NULL, &ext) != napi_ok) {
    free(g);
    return js_null(env);
  }
  return ext;
}

/* The object was closed explicitly: its guard must not close anything later. */
static napi_value js_disarm(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || !data) return NULL;
  ((guard *)data)->armed = false;
  return NULL;
}

/* Channel ids of collected objects that belong to `engine`, removed from the queue. */
static napi_value js_take_orphans(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t engine;
  if (!arg_int(env, argv[0], "engine", &engine)) return NULL;
  napi_value out = new_array(env);
  pthread_mutex_lock(&orphans_lock);
  size_t kept = 0;
  for (size_t i = 0; i < orphans_len; i++) {
    if (orphans[i].engine == engine) push(env, out, js_int(env, orphans[i].channel));
    else orphans[kept++] = orphans[i];
  }
  orphans_len = kept;
  pthread_mutex_unlock(&orphans_lock);
  return out;
}

/* accept4(2), non-blocking: the new descriptor, or -errno (-EAGAIN when none waits). */
static napi_value js_accept(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  int c;
  do {
    c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (c < 0 && errno == EINTR);
  return js_int(env, c < 0 ? -errno : c);
}

static napi_value js_dup(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return js_int(env, copy < 0 ? -errno : copy);
}

/* ------------------------------------------------------------------------- */
/* Introspection                                                              */
/* ------------------------------------------------------------------------- */

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

static napi_value js_getsockname(napi_env env, napi_callback_info info) {
  return sock_name(env, info, getsockname);
}

static napi_value js_getpeername(napi_env env, napi_callback_info info) {
  return sock_name(env, info, getpeername);
}

static napi_value js_is_socket(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0) return js_int(env, -errno);
  return js_int(env, S_ISSOCK(st.st_mode) ? 1 : 0);
}

/* Reads an int-sized socket option; the int is zeroed first for short options. */
static int get_int_opt(int fd, int level, int name, int *value) {
  socklen_t len = sizeof *value;
  *value = 0;
  return err_of(getsockopt(fd, level, name, value, &len));
}

static napi_value js_socket_info(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  int af = 0, type = 0;
#ifdef SO_DOMAIN
  int err = get_int_opt(fd, SOL_SOCKET, SO_DOMAIN, &af);
#else
  /* Without SO_DOMAIN the bound-or-not local address still carries the family. */
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  int err = err_of(getsockname(fd, (struct sockaddr *)&ss, &sslen));
  if (err == 0) af = ss.ss_family;
#endif
  if (err == 0) err = get_int_opt(fd, SOL_SOCKET, SO_TYPE, &type);
  napi_value items[] = {js_int(env, err), js_int(env, err ? 0 : tag_from_af(af)),
                        js_int(env, err ? 0 : type)};
  return js_tuple(env, 3, items);
}

/* ------------------------------------------------------------------------- */
/* Socket options                                                             */
/* ------------------------------------------------------------------------- */

static napi_value js_setsockopt_int(napi_env env, napi_callback_info info) {
  GET_ARGS(4);
  int32_t fd, level, name, value;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_int(env, argv[1], "level", &level) ||
      !arg_int(env, argv[2], "name", &name) || !arg_int(env, argv[3], "value", &value))
    return NULL;
  int v = value;
  return js_int(env, err_of(setsockopt(fd, level, name, &v, sizeof v)));
}

static napi_value js_getsockopt_int(napi_env env, napi_callback_info info) {
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

static napi_value js_set_linger(napi_env env, napi_callback_info info) {
  GET_ARGS(3);
  int32_t fd, seconds;
  bool on;
  if (!arg_int(env, argv[0], "fd", &fd) || !arg_bool(env, argv[1], "on", &on) ||
      !arg_int(env, argv[2], "seconds", &seconds))
    return NULL;
  struct linger l = {.l_onoff = on ? 1 : 0, .l_linger = seconds};
  return js_int(env, err_of(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l)));
}

static napi_value js_get_linger(napi_env env, napi_callback_info info) {
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
static napi_value js_get_socket_error(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  int32_t fd;
  if (!arg_int(env, argv[0], "fd", &fd)) return NULL;
  int value;
  int err = get_int_opt(fd, SOL_SOCKET, SO_ERROR, &value);
  return js_int(env, err ? -err : value);
}

/* ------------------------------------------------------------------------- */
/* Name resolution                                                            */
/* ------------------------------------------------------------------------- */

static napi_value js_getaddrinfo(napi_env env, napi_callback_info info) {
  GET_ARGS(4);
  char *host = NULL, *service = NULL;
  int32_t tag;
  bool passive;
  str_status hs = arg_string(env, argv[0], "host", true, &host);
  if (hs == STR_THREW) return NULL;
  str_status sv = arg_string(env, argv[1], "service", true, &service);
  if (sv == STR_THREW || !arg_int(env, argv[2], "family", &tag) ||
      !arg_bool(env, argv[3], "passive", &passive)) {
    free(host);
    free(service);
    return NULL;
  }

  int code, sys_err = 0;
  struct addrinfo *res = NULL;
  if (tag != 0 && tag != 4 && tag != 6) {
    code = EAI_FAMILY;
  } else if (hs == STR_HAS_NUL) {
    code = EAI_NONAME;
  } else if (sv == STR_HAS_NUL) {
    code = EAI_SERVICE;
  } else {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = tag == 0 ? AF_UNSPEC : af_from_tag(tag);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    code = getaddrinfo(host, service, &hints, &res);
    if (code == EAI_SYSTEM) sys_err = errno;
  }
  free(host);
  free(service);

  napi_value list = new_array(env);
  for (struct addrinfo *ai = code == 0 ? res : NULL; ai != NULL; ai = ai->ai_next) {
    char addr[INET6_ADDRSTRLEN];
    int port, ftag;
    if (!sockaddr_parts(ai->ai_addr, addr, sizeof addr, &port, &ftag)) continue;
    napi_value entry[] = {js_int(env, ftag), js_str(env, addr), js_int(env, port)};
    push(env, list, js_tuple(env, 3, entry));
  }
  if (res != NULL) freeaddrinfo(res);

  napi_value items[] = {js_int(env, code), list, js_int(env, sys_err)};
  return js_tuple(env, code == EAI_SYSTEM ? 3 : 2, items);
}

static napi_value js_getnameinfo(napi_env env, napi_callback_info info) {
  GET_ARGS(5);
  int32_t tag, port;
  bool want_host, want_service;
  char *addr;
  if (!arg_int(env, argv[0], "family", &tag)) return NULL;
  str_status st = arg_string(env, argv[1], "address", false, &addr);
  if (st == STR_THREW) return NULL;
  if (!arg_int(env, argv[2], "port", &port) ||
      !arg_bool(env, argv[3], "wantHost", &want_host) ||
      !arg_bool(env, argv[4], "wantService", &want_service)) {
    free(addr);
    return NULL;
  }

  char host[NI_MAXHOST] = "", serv[NI_MAXSERV] = "";
  struct sockaddr_storage ss;
  socklen_t len;
  int af = af_from_tag(tag);
  int code, sys_err = 0;
  if (af == 0)
    code = EAI_FAMILY;
  else if (port < 0 || port > 65535)
    code = EAI_SERVICE;
  else if (st != STR_OK || !make_sockaddr(af, addr, (uint16_t)port, &ss, &len))
    code = EAI_NONAME;
  else {
    /* flags 0: no NI_NAMEREQD, so an unresolvable address falls back to numeric. */
    code = getnameinfo((struct sockaddr *)&ss, len, want_host ? host : NULL,
                       want_host ? sizeof host : 0, want_service ? serv : NULL,
                       want_service ? sizeof serv : 0, 0);
    if (code == EAI_SYSTEM) sys_err = errno;
  }
  free(addr);

  bool ok = code == 0;
  napi_value items[] = {js_int(env, code), js_str(env, ok && want_host ? host : NULL),
                        js_str(env, ok && want_service ? serv : NULL), js_int(env, sys_err)};
  return js_tuple(env, code == EAI_SYSTEM ? 4 : 3, items);
}

/* {name, aliases, addresses} with addresses as numeric text. */
static napi_value hostent_to_js(napi_env env, const struct hostent *h) {
  napi_value obj = NULL, aliases = new_array(env), addresses = new_array(env);
  napi_create_object(env, &obj);
  for (char **a = h->h_aliases; a != NULL && *a != NULL; a++) push(env, aliases, js_str(env, *a));
  for (char **a = h->h_addr_list; a != NULL && *a != NULL; a++) {
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(h->h_addrtype, *a, text, sizeof text) != NULL)
      push(env, addresses, js_str(env, text));
  }
  napi_set_named_property(env, obj, "name", js_str(env, h->h_name ? h->h_name : ""));
  napi_set_named_property(env, obj, "aliases", aliases);
  napi_set_named_property(env, obj, "addresses", addresses);
  return obj;
}

/* One gethostbyname_r (name != NULL) or gethostbyaddr_r (IPv4 addr) query. */
typedef struct {
  const char *name;
  struct in_addr addr;
} host_query;

static int host_query_run(const host_query *q, struct hostent *he, char *buf, size_t len,
                          struct hostent **res, int *herr) {
  if (q->name != NULL) return gethostbyname_r(q->name, he, buf, len, res, herr);
  return gethostbyaddr_r(&q->addr, sizeof q->addr, AF_INET, he, buf, len, res, herr);
}

/*
 * Runs a host query with a scratch buffer that doubles on ERANGE and builds
 * [herrno, hostent | null], appending errno when herrno is NETDB_INTERNAL.
 */
static napi_value host_lookup(napi_env env, const host_query *q) {
  struct hostent he, *res = NULL;
  int herr = 0, rc = ERANGE;
  char *buf = NULL;
  for (size_t len = 1024; rc == ERANGE && len <= HOSTENT_BUF_MAX; len *= 2) {
    char *grown = realloc(buf, len);
    if (grown == NULL) {
      rc = ENOMEM;
      break;
    }
    buf = grown;
    res = NULL;
    herr = 0;
    rc = host_query_run(q, &he, buf, len, &res, &herr);
  }
  int sys_err = rc != 0 ? rc : errno; /* before any call that may clobber errno */

  napi_value items[3];
  size_t n = 2;
  if (res != NULL) {
    items[0] = js_int(env, 0);
    items[1] = hostent_to_js(env, res);
  } else {
    /* A failing return code with no h_errno is a system error in disguise. */
    if (herr == 0) herr = rc != 0 ? NETDB_INTERNAL : HOST_NOT_FOUND;
    items[0] = js_int(env, herr);
    items[1] = js_null(env);
    if (herr == NETDB_INTERNAL) items[n++] = js_int(env, sys_err);
  }
  free(buf);
  return js_tuple(env, n, items);
}

static napi_value js_gethostbyname(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  host_query q = {NULL, {0}};
  char *name;
  str_status st = arg_string(env, argv[0], "name", false, &name);
  if (st == STR_THREW) return NULL;
  napi_value result;
  if (st != STR_OK) {
    napi_value items[] = {js_int(env, HOST_NOT_FOUND), js_null(env)};
    result = js_tuple(env, 2, items);
  } else {
    q.name = name;
    result = host_lookup(env, &q);
  }
  free(name);
  return result;
}

static napi_value js_gethostbyaddr(napi_env env, napi_callback_info info) {
  GET_ARGS(1);
  host_query q = {NULL, {0}};
  char *text;
  str_status st = arg_string(env, argv[0], "address", false, &text);
  if (st == STR_THREW) return NULL;
  /* inet_aton, unlike inet_pton, accepts the short forms ("127.1") LuaSocket does. */
  bool parsed = st == STR_OK && inet_aton(text, &q.addr) != 0;
  free(text);
  if (!parsed) {
    napi_value items[] = {js_int(env, HOST_NOT_FOUND), js_null(env)};
    return js_tuple(env, 2, items);
  }
  return host_lookup(env, &q);
}

static napi_value js_gethostname(napi_env env, napi_callback_info info) {
  (void)info;
  char name[HOST_NAME_MAX + 1];
  int err = err_of(gethostname(name, sizeof name));
  name[sizeof name - 1] = '\0'; /* truncation is not guaranteed to terminate */
  napi_value items[] = {js_int(env, err), js_str(env, err ? "" : name)};
  return js_tuple(env, 2, items);
}

/* ------------------------------------------------------------------------- */
/* Constants                                                                  */
/* ------------------------------------------------------------------------- */

#define SET_CONST(name) napi_set_named_property(env, obj, #name, js_int(env, name))

static napi_value make_constants(napi_env env) {
  napi_value obj = NULL;
  napi_create_object(env, &obj);
  /* Levels and options. */
  SET_CONST(SOL_SOCKET);
  SET_CONST(IPPROTO_TCP);
  SET_CONST(IPPROTO_IPV6);
  SET_CONST(SO_KEEPALIVE);
  SET_CONST(SO_REUSEADDR);
#ifdef SO_REUSEPORT
  SET_CONST(SO_REUSEPORT);
#endif
  SET_CONST(SO_RCVBUF);
  SET_CONST(SO_SNDBUF);
  SET_CONST(SO_ERROR);
  SET_CONST(SO_LINGER);
  SET_CONST(TCP_NODELAY);
#ifdef TCP_KEEPIDLE
  SET_CONST(TCP_KEEPIDLE);
#endif
#ifdef TCP_KEEPCNT
  SET_CONST(TCP_KEEPCNT);
#endif
#ifdef TCP_KEEPINTVL
  SET_CONST(TCP_KEEPINTVL);
#endif
#ifdef TCP_DEFER_ACCEPT
  SET_CONST(TCP_DEFER_ACCEPT);
#endif
#ifdef TCP_FASTOPEN
  SET_CONST(TCP_FASTOPEN);
#endif
#ifdef TCP_FASTOPEN_CONNECT
  SET_CONST(TCP_FASTOPEN_CONNECT);
#endif
  SET_CONST(IPV6_V6ONLY);
  /* getaddrinfo/getnameinfo codes (negative on glibc). */
  SET_CONST(EAI_AGAIN);
  SET_CONST(EAI_BADFLAGS);
  SET_CONST(EAI_FAIL);
  SET_CONST(EAI_FAMILY);
  SET_CONST(EAI_MEMORY);
  SET_CONST(EAI_NONAME);
#ifdef EAI_OVERFLOW
  SET_CONST(EAI_OVERFLOW);
#endif
  SET_CONST(EAI_SERVICE);
  SET_CONST(EAI_SOCKTYPE);
  SET_CONST(EAI_SYSTEM);
#ifdef EAI_ADDRFAMILY
  SET_CONST(EAI_ADDRFAMILY);
#endif
#ifdef EAI_NODATA
  SET_CONST(EAI_NODATA);
#endif
  /* h_errno values for gethostbyname/gethostbyaddr. */
  SET_CONST(HOST_NOT_FOUND);
  SET_CONST(TRY_AGAIN);
  SET_CONST(NO_RECOVERY);
  SET_CONST(NO_DATA);
  SET_CONST(NETDB_INTERNAL);
  /* errno values. */
  SET_CONST(EBADF);
  SET_CONST(EINVAL);
  SET_CONST(ENOTCONN);
  SET_CONST(EADDRINUSE);
  SET_CONST(EACCES);
  SET_CONST(ECONNREFUSED);
  SET_CONST(EISCONN);
  SET_CONST(EALREADY);
  SET_CONST(EINPROGRESS);
  SET_CONST(EAGAIN);
  SET_CONST(ECONNRESET);
  SET_CONST(EPIPE);
  SET_CONST(ETIMEDOUT);
  SET_CONST(ENOTSOCK);
  SET_CONST(EAFNOSUPPORT);
  SET_CONST(EINTR);
  napi_object_freeze(env, obj);
  return obj;
}

/* ------------------------------------------------------------------------- */
/* Module registration                                                        */
/* ------------------------------------------------------------------------- */

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

/*
 * Each connection's receive ring is a SharedArrayBuffer of 1 MiB, allocated with calloc.
 * glibc's dynamic mmap threshold rises after such a block is freed, and later rings then
 * come from the heap, where calloc must zero (touch) every page and freed memory is not
 * given back: RSS would grow by the full ring size per connection. A fixed threshold
 * keeps large blocks on mmap: zero pages committed only when touched, unmapped on free.
 */
static pthread_once_t malloc_once = PTHREAD_ONCE_INIT;
static void tune_malloc(void) {
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

NAPI_MODULE_INIT() {
  pthread_once(&malloc_once, tune_malloc);
  napi_property_descriptor props[] = {
      FN("socket", js_socket),
      FN("bind", js_bind),
      FN("connect", js_connect),
      FN("listen", js_listen),
      FN("getsockname", js_getsockname),
      FN("getpeername", js_getpeername),
      FN("setsockoptInt", js_setsockopt_int),
      FN("getsockoptInt", js_getsockopt_int),
      FN("setLinger", js_set_linger),
      FN("getLinger", js_get_linger),
      FN("getSocketError", js_get_socket_error),
      FN("shutdown", js_shutdown),
      FN("close", js_close),
      FN("dup", js_dup),
      FN("send", js_send),
      FN("accept", js_accept),
      FN("guard", js_guard),
      FN("disarm", js_disarm),
      FN("takeOrphans", js_take_orphans),
      FN("poll", js_poll),
      FN("isSocket", js_is_socket),
      FN("socketInfo", js_socket_info),
      FN("strerror", js_strerror),
      FN("gaiStrerror", js_gai_strerror),
      FN("getaddrinfo", js_getaddrinfo),
      FN("getnameinfo", js_getnameinfo),
      FN("gethostbyname", js_gethostbyname),
      FN("gethostbyaddr", js_gethostbyaddr),
      FN("hstrerror", js_hstrerror),
      FN("gethostname", js_gethostname),
      {"constants", NULL, NULL, NULL, NULL, make_constants(env), napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}
