/*
 * Every operating-system difference of the helper sits behind this header, as LuaSocket
 * keeps its own behind socket.h (usocket.c on POSIX). Each ls_* call uses the Linux
 * facility where the platform has it and a plain POSIX alternative elsewhere, so the rest
 * of the code is the same everywhere.
 *
 * Building with -DLUASOCKET_POSIX_FALLBACKS selects every POSIX alternative even where
 * the direct facility exists, so that the fallbacks can be built and tested on Linux.
 */
#ifndef LUASOCKET_COMPAT_H
#define LUASOCKET_COMPAT_H

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifndef LUASOCKET_POSIX_FALLBACKS
/* accept4(2): non-blocking, close-on-exec accepted sockets in one call. */
#if defined(__linux__) || defined(__FreeBSD__)
#define LS_HAVE_ACCEPT4 1
#endif
/* socket(2) type flags that set the same two properties atomically. */
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
#define LS_HAVE_SOCK_FLAGS 1
#endif
/* Per-call "no SIGPIPE" and "do not block" send flags. */
#ifdef MSG_NOSIGNAL
#define LS_HAVE_MSG_NOSIGNAL 1
#endif
#ifdef MSG_DONTWAIT
#define LS_HAVE_MSG_DONTWAIT 1
#endif
/* A socket's family read directly, rather than from its local address. */
#ifdef SO_DOMAIN
#define LS_HAVE_SO_DOMAIN 1
#endif
/* gethostbyname_r/gethostbyaddr_r with the glibc signature (glibc, musl, FreeBSD). */
#if defined(__linux__) || defined(__FreeBSD__)
#define LS_HAVE_GETHOSTBYNAME_R 1
#endif
/* glibc's malloc tuning (mallopt). */
#ifdef __GLIBC__
#define LS_HAVE_MALLOPT 1
#endif
/* Linux releases a descriptor even when close(2) reports EINTR. */
#ifdef __linux__
#define LS_CLOSE_EINTR_RELEASES 1
#endif
#endif /* LUASOCKET_POSIX_FALLBACKS */

/* A per-socket "no SIGPIPE" option (macOS, the BSDs). Where there is neither it nor
   MSG_NOSIGNAL, Node.js's own disposition (SIGPIPE ignored) keeps the process alive. */
#ifdef SO_NOSIGPIPE
#define LS_HAVE_SO_NOSIGPIPE 1
#endif

/* h_errno for "see errno": musl does not define it, its resolver never reports it. */
#ifndef NETDB_INTERNAL
#define NETDB_INTERNAL (-1)
#endif

/* macOS names the keepalive idle time TCP_KEEPALIVE. */
#if !defined(TCP_KEEPIDLE) && defined(TCP_KEEPALIVE) && defined(__APPLE__)
#define TCP_KEEPIDLE TCP_KEEPALIVE
#endif

/* A non-blocking, close-on-exec socket of any type (SOCK_STREAM, SOCK_DGRAM), SIGPIPE-free
   where a socket option does that: the descriptor, or -1 with errno set. */
int ls_socket(int af, int type);

/* sendto(2) / recvfrom(2) that neither block nor raise SIGPIPE; EINTR is retried. Bytes
   sent or received (a datagram longer than len is cut, the rest discarded), or -1 with
   errno set. */
ssize_t ls_sendto(int fd, const void *data, size_t len, const struct sockaddr *to,
                  socklen_t tolen);
ssize_t ls_recvfrom(int fd, void *data, size_t len, struct sockaddr *from,
                    socklen_t *fromlen);

/* accept(2) giving a non-blocking, close-on-exec descriptor; EINTR is retried. The new
   descriptor, or -1 with errno set (EAGAIN when none waits on a non-blocking listener). */
int ls_accept(int fd);

/* send(2) that neither blocks nor raises SIGPIPE; EINTR is retried. Bytes sent, or -1
   with errno set. */
ssize_t ls_send(int fd, const void *data, size_t len);

/* A close-on-exec duplicate: the new descriptor, or -1 with errno set. */
int ls_dup_cloexec(int fd);

/* close(2) as 0 or an errno value; EINTR reads as 0 where the descriptor is gone anyway. */
int ls_close(int fd);

/* The AF_* family of a socket: 0 or an errno value. */
int ls_socket_family(int fd, int *af);

/* gethostbyname_r/gethostbyaddr_r with glibc's contract: 0 with *res set (found) or NULL
   and *herr set (not found), ERANGE when buf is too small, else an errno value. */
int ls_host_by_name(const char *name, struct hostent *he, char *buf, size_t len,
                    struct hostent **res, int *herr);
int ls_host_by_addr(const struct in_addr *addr, struct hostent *he, char *buf, size_t len,
                    struct hostent **res, int *herr);

/* Thread-safe strerror text. */
void ls_errno_text(int err, char *buf, size_t len);

/* Process-wide allocator tuning; safe to call from every thread that loads the module. */
void ls_tune_malloc(void);

#endif
