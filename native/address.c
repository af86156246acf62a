/* Socket addresses: JS family tags (4/6) and numeric text to sockaddr and back. */
#include "luasocket.h"

#include <arpa/inet.h>
#include <string.h>

/* JS family tag (4/6) to AF_*; 0 when the tag is unknown. */
int af_from_tag(int32_t tag) { return tag == 4 ? AF_INET : tag == 6 ? AF_INET6 : 0; }

/* AF_* to the JS family tag; non-IP families pass through raw. */
int tag_from_af(int af) { return af == AF_INET ? 4 : af == AF_INET6 ? 6 : af; }

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
