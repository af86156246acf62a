/* Module registration: the functions and constants src/native.ts expects. */
#include "luasocket.h"

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

NAPI_MODULE_INIT() {
  ls_tune_malloc();
  if (!guards_init(env)) return NULL;
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
      FN("reclaim", js_reclaim),
      FN("poll", js_poll),
      FN("pollMany", js_poll_many),
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
      FN("socketOf", js_socket_of),
      FN("sendto", js_sendto),
      FN("recv", js_recv),
      FN("recvWait", js_recv_wait),
      FN("recvfromWait", js_recvfrom_wait),
      FN("disconnect", js_disconnect),
      FN("bindUnix", js_bind_unix),
      FN("connectUnix", js_connect_unix),
      FN("sendtoUnix", js_sendto_unix),
      FN("unixName", js_unix_name),
      FN("setsockoptBytes", js_setsockopt_bytes),
      FN("getsockoptBytes", js_getsockopt_bytes),
      {"constants", NULL, NULL, NULL, NULL, make_constants(env), napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}
