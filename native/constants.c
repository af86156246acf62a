/* Numeric constants of the build platform, for src/native.ts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* glibc's EAI_ADDRFAMILY/EAI_NODATA: platform facts, not fallbacks */
#endif

#include "luasocket.h"

#include <errno.h>

#define SET_CONST(name) napi_set_named_property(env, obj, #name, js_int(env, name))

napi_value make_constants(napi_env env) {
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
#ifdef TCP_KEEPIDLE /* TCP_KEEPALIVE on macOS (compat.h) */
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
  /* UDP options (LuaSocket 3.1.0's udp.c table). */
  SET_CONST(IPPROTO_IP);
  SET_CONST(SO_DONTROUTE);
  SET_CONST(SO_BROADCAST);
  SET_CONST(IP_MULTICAST_IF);
  SET_CONST(IP_MULTICAST_TTL);
  SET_CONST(IP_MULTICAST_LOOP);
  SET_CONST(IP_ADD_MEMBERSHIP);
  SET_CONST(IP_DROP_MEMBERSHIP);
  SET_CONST(IPV6_UNICAST_HOPS);
  SET_CONST(IPV6_MULTICAST_LOOP);
#if defined(IPV6_ADD_MEMBERSHIP)
  napi_set_named_property(env, obj, "IPV6_ADD_MEMBERSHIP", js_int(env, IPV6_ADD_MEMBERSHIP));
  napi_set_named_property(env, obj, "IPV6_DROP_MEMBERSHIP", js_int(env, IPV6_DROP_MEMBERSHIP));
#else
  napi_set_named_property(env, obj, "IPV6_ADD_MEMBERSHIP", js_int(env, IPV6_JOIN_GROUP));
  napi_set_named_property(env, obj, "IPV6_DROP_MEMBERSHIP", js_int(env, IPV6_LEAVE_GROUP));
#endif
  /* Unix-domain paths: the size of sun_path (a path must be shorter). */
  napi_set_named_property(env, obj, "UNIX_PATH_MAX", js_int(env, (int32_t)unix_path_max()));
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
  SET_CONST(EMSGSIZE);
  SET_CONST(EPROTOTYPE);
  SET_CONST(ENAMETOOLONG);
  napi_object_freeze(env, obj);
  return obj;
}
