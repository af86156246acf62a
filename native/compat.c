/*
 * The operating-system layer behind compat.h (LuaSocket's usocket.c plays this part):
 * the direct facility where the platform has it, a POSIX alternative elsewhere.
 */
#ifndef LUASOCKET_POSIX_FALLBACKS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, GNU strerror_r */
#endif
#endif

#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef LS_HAVE_MALLOPT
#include <malloc.h>
#endif

#ifdef LS_HAVE_MSG_NOSIGNAL
#define MSG_NOSIGNAL_OR_0 MSG_NOSIGNAL
#else
#define MSG_NOSIGNAL_OR_0 0
#endif

#if !defined(LS_HAVE_SOCK_FLAGS) || !defined(LS_HAVE_ACCEPT4)
/* O_NONBLOCK and FD_CLOEXEC on a fresh descriptor; closes it on failure. */
static int set_nonblock_cloexec(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}
#endif

/* SO_NOSIGPIPE wherever the platform has it (macOS, the BSDs), so that no write on the
   socket raises SIGPIPE, whatever flags it is made with; closes the descriptor on failure. */
static int set_nosigpipe(int fd) {
#ifdef LS_HAVE_SO_NOSIGPIPE
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
#endif
  return fd;
}

int ls_socket(int af, int type) {
#ifdef LS_HAVE_SOCK_FLAGS
  int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
  /* Not atomic: a fork+exec on another thread in between could inherit it. */
  int fd = socket(af, type, 0);
  if (fd >= 0) fd = set_nonblock_cloexec(fd);
#endif
  return fd < 0 ? -1 : set_nosigpipe(fd);
}

int ls_accept(int fd) {
  int c;
  do {
#ifdef LS_HAVE_ACCEPT4
    c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
    c = accept(fd, NULL, NULL);
#endif
  } while (c < 0 && errno == EINTR);
  if (c < 0) return -1;
#ifndef LS_HAVE_ACCEPT4
  /* Linux does not pass O_NONBLOCK on to accepted sockets; the BSDs do. Set both flags. */
  c = set_nonblock_cloexec(c);
  if (c < 0) return -1;
#endif
  return set_nosigpipe(c);
}

ssize_t ls_send(int fd, const void *data, size_t len) {
  int flags = 0;
#ifdef LS_HAVE_MSG_NOSIGNAL
  flags |= MSG_NOSIGNAL;
#endif
#ifdef LS_HAVE_MSG_DONTWAIT
  flags |= MSG_DONTWAIT;
#else
  /* Own sockets are non-blocking already; an adopted one (setfd) may not be. */
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
#endif
  ssize_t n;
  do {
    n = send(fd, data, len, flags);
  } while (n < 0 && errno == EINTR);
  return n;
}

/* Flags for one non-blocking, SIGPIPE-free call (see ls_send). */
static int io_flags(int fd) {
  int flags = 0;
#ifdef LS_HAVE_MSG_NOSIGNAL
  flags |= MSG_NOSIGNAL;
#endif
#ifdef LS_HAVE_MSG_DONTWAIT
  flags |= MSG_DONTWAIT;
  (void)fd;
#else
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
#endif
  return flags;
}

ssize_t ls_sendto(int fd, const void *data, size_t len, const struct sockaddr *to,
                  socklen_t tolen) {
  int flags = io_flags(fd);
  ssize_t n;
  do {
    n = sendto(fd, data, len, flags, to, tolen);
  } while (n < 0 && errno == EINTR);
  return n;
}

ssize_t ls_recvfrom(int fd, void *data, size_t len, struct sockaddr *from,
                    socklen_t *fromlen) {
  /* MSG_NOSIGNAL means nothing to a read; only "do not block" matters here. */
  int flags = io_flags(fd) & ~MSG_NOSIGNAL_OR_0;
  ssize_t n;
  do {
    n = recvfrom(fd, data, len, flags, from, fromlen);
  } while (n < 0 && errno == EINTR);
  return n;
}

int ls_dup_cloexec(int fd) {
#if defined(F_DUPFD_CLOEXEC) && !defined(LUASOCKET_POSIX_FALLBACKS)
  return fcntl(fd, F_DUPFD_CLOEXEC, 0);
#else
  int copy = dup(fd);
  if (copy < 0) return -1;
  if (fcntl(copy, F_SETFD, FD_CLOEXEC) != 0) {
    int err = errno;
    close(copy);
    errno = err;
    return -1;
  }
  return copy;
#endif
}

int ls_close(int fd) {
  if (close(fd) == 0) return 0;
  int err = errno;
#ifdef LS_CLOSE_EINTR_RELEASES
  /* A caller retrying on EINTR could close an unrelated, freshly reused descriptor. */
  if (err == EINTR) return 0;
#endif
  return err;
}

int ls_socket_family(int fd, int *af) {
  *af = 0;
#ifdef LS_HAVE_SO_DOMAIN
  socklen_t len = sizeof *af;
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, af, &len) == 0 ? 0 : errno;
#else
  /* The local address carries the family, bound or not. */
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return errno;
  *af = ss.ss_family;
  return 0;
#endif
}

#ifndef LS_HAVE_GETHOSTBYNAME_R
/* gethostbyname and gethostbyaddr share static storage: one query at a time process-wide,
   its answer copied into the caller's buffer before the lock is released. */
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;

/* Bump allocator over the caller's buffer, pointer-aligned. */
typedef struct {
  char *next, *end;
} arena;

static void *arena_take(arena *a, size_t n) {
  uintptr_t at = ((uintptr_t)a->next + sizeof(void *) - 1) & ~(uintptr_t)(sizeof(void *) - 1);
  if (at > (uintptr_t)a->end || n > (size_t)((uintptr_t)a->end - at)) return NULL;
  a->next = (char *)at + n;
  return (void *)at;
}

static char *arena_str(arena *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = arena_take(a, n);
  if (d != NULL) memcpy(d, s, n);
  return d;
}

/* Copies a NULL-terminated vector; item_len 0 means NUL-terminated strings. */
static char **arena_vec(arena *a, char **src, size_t item_len) {
  size_t n = 0;
  while (src != NULL && src[n] != NULL) n++;
  char **dst = arena_take(a, (n + 1) * sizeof *dst);
  if (dst == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    dst[i] = item_len ? arena_take(a, item_len) : arena_str(a, src[i]);
    if (dst[i] == NULL) return NULL;
    if (item_len) memcpy(dst[i], src[i], item_len);
  }
  dst[n] = NULL;
  return dst;
}

/* Deep copy of a hostent into buf: 0, or ERANGE when buf is too small. */
static int hostent_copy(const struct hostent *src, struct hostent *dst, char *buf, size_t len) {
  arena a = {buf, buf + len};
  dst->h_addrtype = src->h_addrtype;
  dst->h_length = src->h_length;
  dst->h_name = arena_str(&a, src->h_name ? src->h_name : "");
  dst->h_aliases = arena_vec(&a, src->h_aliases, 0);
  dst->h_addr_list = arena_vec(&a, src->h_addr_list, (size_t)src->h_length);
  return dst->h_name && dst->h_aliases && dst->h_addr_list ? 0 : ERANGE;
}

/* Runs one non-reentrant query under the lock, with the _r functions' contract. */
static int host_locked(const char *name, const struct in_addr *addr, struct hostent *he,
                       char *buf, size_t len, struct hostent **res, int *herr) {
  pthread_mutex_lock(&host_lock);
  errno = 0;
  struct hostent *h = name != NULL ? gethostbyname(name)
                                   : gethostbyaddr((const void *)addr, sizeof *addr, AF_INET);
  int rc = 0;
  *res = NULL;
  if (h == NULL) {
    *herr = h_errno;
    if (*herr == NETDB_INTERNAL) rc = errno ? errno : EIO;
  } else {
    *herr = 0;
    rc = hostent_copy(h, he, buf, len);
    if (rc == 0) *res = he;
  }
  pthread_mutex_unlock(&host_lock);
  return rc;
}
#endif

int ls_host_by_name(const char *name, struct hostent *he, char *buf, size_t len,
                    struct hostent **res, int *herr) {
#ifdef LS_HAVE_GETHOSTBYNAME_R
  return gethostbyname_r(name, he, buf, len, res, herr);
#else
  return host_locked(name, NULL, he, buf, len, res, herr);
#endif
}

int ls_host_by_addr(const struct in_addr *addr, struct hostent *he, char *buf, size_t len,
                    struct hostent **res, int *herr) {
#ifdef LS_HAVE_GETHOSTBYNAME_R
  return gethostbyaddr_r(addr, sizeof *addr, AF_INET, he, buf, len, res, herr);
#else
  return host_locked(NULL, addr, he, buf, len, res, herr);
#endif
}

void ls_errno_text(int err, char *buf, size_t len) {
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  const char *s = strerror_r(err, buf, len); /* GNU variant: may return a static string */
  if (s != buf) snprintf(buf, len, "%s", s);
#else
  if (strerror_r(err, buf, len) != 0) snprintf(buf, len, "Unknown error %d", err);
#endif
}

/*
 * Each connection's receive ring is a SharedArrayBuffer of 1 MiB, allocated with calloc.
 * glibc's dynamic mmap threshold rises after such a block is freed, and later rings then
 * come from the heap, where calloc must zero (touch) every page and freed memory is not
 * given back: RSS would grow by the full ring size per connection. A fixed threshold
 * keeps large blocks on mmap: zero pages committed only when touched, unmapped on free.
 * Other allocators (musl, macOS) do not move large blocks off mmap this way.
 */
void ls_tune_malloc(void) {
#if defined(LS_HAVE_MALLOPT) && defined(M_MMAP_THRESHOLD)
  static int done = 0; /* no pthread_once: it would need glibc >= 2.34 when linked there */
  if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL) == 0) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}
