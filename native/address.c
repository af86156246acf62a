/* Socket addresses: JS family tags (4/6, 1 for unix) and numeric text or a path to
   sockaddr and back. */
#include "luasocket.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

/* JS family tag (4/6, 1 = unix) to AF_*; 0 when the tag is unknown. */
int af_from_tag(int32_t tag) {
  return tag == 4 ? AF_INET : tag == 6 ? AF_INET6 : tag == 1 ? AF_UNIX : 0;
}

/* AF_* to the JS family tag; AF_UNIX is 1, other families pass through raw. */
int tag_from_af(int af) {
  return af == AF_INET ? 4 : af == AF_INET6 ? 6 : af == AF_UNIX ? 1 : af;
}

size_t unix_path_max(void) { return sizeof(((struct sockaddr_un *)0)->sun_path); }

/* A sockaddr_un for `len` path bytes, with LuaSocket's length (the family and the bytes,
   no NUL): false when the path does not fit (LuaSocket's "path too long"). An empty path
   makes the family-only address that autobinds (bind) or is invalid (connect). */
bool make_sockaddr_un(const uint8_t *path, size_t len, struct sockaddr_storage *ss,
                      socklen_t *sslen) {
  struct sockaddr_un *un = (struct sockaddr_un *)ss;
  if (len >= sizeof un->sun_path) return false;
  memset(ss, 0, sizeof *ss);
  un->sun_family = AF_UNIX;
  memcpy(un->sun_path, path, len);
  *sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  return true;
}

/* The path of a sockaddr_un as LuaSocket reads it (a C string: up to the first NUL, so
   unnamed and abstract addresses read as ""): its length, the bytes left in sa. */
size_t sockaddr_un_path(const struct sockaddr_storage *ss, socklen_t sslen, const char **path) {
  const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
  size_t off = offsetof(struct sockaddr_un, sun_path);
  size_t room = sslen > off ? (size_t)sslen - off : 0;
  if (room > sizeof un->sun_path) room = sizeof un->sun_path;
  size_t n = 0;
  while (n < room && un->sun_path[n] != '\0') n++;
  *path = un->sun_path;
  return n;
}

/* Builds a sockaddr from a numeric literal; false if the literal does not parse. */
bool make_sockaddr(int af, const char *addr, uint16_t port, struct sockaddr_storage *ss,
                   socklen_t *len) {
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
bool sockaddr_parts(const struct sockaddr *sa, char *addr, size_t addrlen, int *port,
                    int *tag) {
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
