/*
 * luasocket_native: thin, synchronous wrappers around POSIX socket calls on raw file
 * descriptors, used by the LuaSocket re-implementation. Declarations shared by its
 * sources: module.c (registration), napi_values.c (argument and result helpers),
 * address.c, sockets.c (lifecycle and I/O), wait.c (poll), options.c (options and
 * introspection), names.c (resolver and error texts), guard.c (garbage-collection
 * guards), constants.c; compat.h holds every operating-system difference.
 *
 * Conventions (src/native.ts carries the typed surface):
 *  - nothing throws, except a TypeError for JS arguments of the wrong type;
 *  - an "errno" result is a positive errno value, 0 meaning success;
 *  - calls that produce an fd return it, or -errno on failure;
 *  - only stable Node-API (version 8), so one binary loads on every Node.js release
 *    that has it; per-thread state lives in instance data, so the module loads in any
 *    number of worker_threads.
 */
#ifndef LUASOCKET_NATIVE_H
#define LUASOCKET_NATIVE_H

#include "compat.h"

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * Fetches the first n call arguments into argv; Node-API fills missing ones with
 * undefined, which the arg_* helpers then reject with a TypeError.
 */
#define GET_ARGS(n)                                                                          \
  napi_value argv[n];                                                                        \
  size_t argc = (n);                                                                         \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL)

/* A JS-callable function of this module. */
#define JS_FN(name) napi_value name(napi_env env, napi_callback_info info)

/* ---- napi_values.c: arguments (each throws a TypeError and returns false on a value of
   the wrong JS type, so callers just `return NULL`) and results. */

bool throw_type(napi_env env, const char *name, const char *expected);
bool arg_int(napi_env env, napi_value v, const char *name, int32_t *out);
bool arg_bool(napi_env env, napi_value v, const char *name, bool *out);

typedef enum { STR_OK, STR_NULL, STR_HAS_NUL, STR_THREW } str_status;
str_status arg_string(napi_env env, napi_value v, const char *name, bool nullable, char **out);
/* A Uint8Array's bytes (a view, valid during the call); throws for anything else. */
bool arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len);
/* A byte range [offset, offset + length) of a Uint8Array argument; false with a TypeError
   pending for a wrong type, *ok false (no exception) for a range outside the array. */
bool arg_range(napi_env env, napi_value *argv, const char *name, uint8_t **data, size_t *len,
               bool *ok);

napi_value js_int(napi_env env, int32_t v);
napi_value js_bool(napi_env env, bool v);
napi_value js_null(napi_env env);
napi_value js_str(napi_env env, const char *s);
/* Bytes as a JS string of one char per byte (latin1): every byte value round-trips. */
napi_value js_latin1(napi_env env, const char *s, size_t len);
napi_value js_tuple(napi_env env, size_t n, const napi_value *items);
napi_value new_array(napi_env env);
void push(napi_env env, napi_value arr, napi_value item);

/* Syscall status (0 / -1 with errno) to the module's "errno" convention. */
int err_of(int rc);

/* ---- address.c */

int af_from_tag(int32_t tag);
int tag_from_af(int af);
bool make_sockaddr(int af, const char *addr, uint16_t port, struct sockaddr_storage *ss,
                   socklen_t *len);
bool sockaddr_parts(const struct sockaddr *sa, char *addr, size_t addrlen, int *port,
                    int *tag);
size_t unix_path_max(void);
bool make_sockaddr_un(const uint8_t *path, size_t len, struct sockaddr_storage *ss,
                      socklen_t *sslen);
size_t sockaddr_un_path(const struct sockaddr_storage *ss, socklen_t sslen, const char **path);

/* ---- sockets.c */
/* A new socket as LuaSocket's inet_trycreate makes it: non-blocking, close-on-exec, and
   IPv6-only when AF_INET6 (dual-stack is never implicit). The fd, or -errno. */
int new_socket(int af, int type);
JS_FN(js_socket);
JS_FN(js_bind);
JS_FN(js_connect);
JS_FN(js_listen);
JS_FN(js_shutdown);
JS_FN(js_close);
JS_FN(js_send);
JS_FN(js_accept);
JS_FN(js_dup);

/* ---- dgram.c */
JS_FN(js_socket_of);
JS_FN(js_sendto);
JS_FN(js_recv);
JS_FN(js_recv_wait);
JS_FN(js_recvfrom_wait);
JS_FN(js_disconnect);

/* ---- unix.c */
JS_FN(js_bind_unix);
JS_FN(js_connect_unix);
JS_FN(js_sendto_unix);
JS_FN(js_unix_name);

/* ---- wait.c */
JS_FN(js_poll);
JS_FN(js_poll_many);

/* ---- options.c */
JS_FN(js_getsockname);
JS_FN(js_getpeername);
JS_FN(js_is_socket);
JS_FN(js_socket_info);
JS_FN(js_setsockopt_int);
JS_FN(js_getsockopt_int);
JS_FN(js_set_linger);
JS_FN(js_get_linger);
JS_FN(js_get_socket_error);
JS_FN(js_setsockopt_bytes);
JS_FN(js_getsockopt_bytes);

/* ---- names.c */
JS_FN(js_strerror);
JS_FN(js_gai_strerror);
JS_FN(js_hstrerror);
JS_FN(js_getaddrinfo);
JS_FN(js_getnameinfo);
JS_FN(js_gethostbyname);
JS_FN(js_gethostbyaddr);
JS_FN(js_gethostname);

/* ---- guard.c */
JS_FN(js_guard);
JS_FN(js_disarm);
JS_FN(js_take_orphans);
JS_FN(js_reclaim);
/* Per-thread guard state; false (with an exception pending) if it cannot be set up. */
bool guards_init(napi_env env);
/* Releases the guards whose objects were collected, if a collection ran since the last
   look (how many): called before every call that opens a descriptor, so one that failed
   for want of descriptors and is retried after a forced collection finds them closed. */
uint32_t guards_reclaim_if_collected(napi_env env);

/* ---- constants.c */
napi_value make_constants(napi_env env);

#endif
