/* Name resolution (getaddrinfo, getnameinfo, gethostby*, gethostname) and error texts. */
#include "luasocket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
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

JS_FN(js_strerror) {
  GET_ARGS(1);
  int32_t err;
  if (!arg_int(env, argv[0], "errno", &err)) return NULL;
  char buf[256];
  ls_errno_text(err, buf, sizeof buf);
  return js_str(env, buf);
}

JS_FN(js_gai_strerror) {
  GET_ARGS(1);
  int32_t code;
  if (!arg_int(env, argv[0], "code", &code)) return NULL;
  return js_str(env, gai_strerror(code));
}

JS_FN(js_hstrerror) {
  GET_ARGS(1);
  int32_t herr;
  if (!arg_int(env, argv[0], "herrno", &herr)) return NULL;
  return js_str(env, hstrerror(herr));
}

/* getaddrinfo(host, service, family, passive[, flags]): flags bit 1 asks for datagram
   hints (SOCK_DGRAM: service names are looked up for udp), bit 2 for numeric host and
   service only (AI_NUMERICHOST | AI_NUMERICSERV, as LuaSocket's UDP sendto does). */
JS_FN(js_getaddrinfo) {
  GET_ARGS(5);
  char *host = NULL, *service = NULL;
  int32_t tag;
  bool passive;
  str_status hs = arg_string(env, argv[0], "host", true, &host);
  if (hs == STR_THREW) return NULL;
  str_status sv = arg_string(env, argv[1], "service", true, &service);
  int32_t flags = 0;
  napi_valuetype ftype = napi_undefined;
  napi_typeof(env, argv[4], &ftype);
  if (sv == STR_THREW || !arg_int(env, argv[2], "family", &tag) ||
      !arg_bool(env, argv[3], "passive", &passive) ||
      (ftype != napi_undefined && !arg_int(env, argv[4], "flags", &flags))) {
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
    hints.ai_socktype = (flags & 1) ? SOCK_DGRAM : SOCK_STREAM;
    hints.ai_flags = (passive ? AI_PASSIVE : 0) | ((flags & 2) ? AI_NUMERICHOST | AI_NUMERICSERV : 0);
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

JS_FN(js_getnameinfo) {
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

/* One host query by name (name != NULL) or by IPv4 address. */
typedef struct {
  const char *name;
  struct in_addr addr;
} host_query;

static int host_query_run(const host_query *q, struct hostent *he, char *buf, size_t len,
                          struct hostent **res, int *herr) {
  if (q->name != NULL) return ls_host_by_name(q->name, he, buf, len, res, herr);
  return ls_host_by_addr(&q->addr, he, buf, len, res, herr);
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

static napi_value not_found(napi_env env) {
  napi_value items[] = {js_int(env, HOST_NOT_FOUND), js_null(env)};
  return js_tuple(env, 2, items);
}

JS_FN(js_gethostbyname) {
  GET_ARGS(1);
  host_query q = {NULL, {0}};
  char *name;
  str_status st = arg_string(env, argv[0], "name", false, &name);
  if (st == STR_THREW) return NULL;
  napi_value result;
  if (st != STR_OK) {
    result = not_found(env);
  } else {
    q.name = name;
    result = host_lookup(env, &q);
  }
  free(name);
  return result;
}

JS_FN(js_gethostbyaddr) {
  GET_ARGS(1);
  host_query q = {NULL, {0}};
  char *text;
  str_status st = arg_string(env, argv[0], "address", false, &text);
  if (st == STR_THREW) return NULL;
  /* inet_aton, unlike inet_pton, accepts the short forms ("127.1") LuaSocket does. */
  bool parsed = st == STR_OK && inet_aton(text, &q.addr) != 0;
  free(text);
  if (!parsed) return not_found(env);
  return host_lookup(env, &q);
}

JS_FN(js_gethostname) {
  (void)info;
  char name[HOST_NAME_MAX + 1];
  int err = err_of(gethostname(name, sizeof name));
  name[sizeof name - 1] = '\0'; /* truncation is not guaranteed to terminate */
  napi_value items[] = {js_int(env, err), js_str(env, err ? "" : name)};
  return js_tuple(env, 2, items);
}
