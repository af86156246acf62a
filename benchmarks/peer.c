/*
 * The benchmark peer: one small epoll program that serves every client of a bench run,
 * plus the helper modes the harness needs. Loopback only (127.0.0.1).
 *
 *   peer serve             listens on three ports, binds a UDP one, and prints
 *                          "ports <service> <close> <udp> <http>".
 *                          The service port reads a one-line request per connection:
 *                            ECHO              echo every byte back
 *                            LINES <n> <seed>  write n generated lines, then close
 *                            BULK <bytes>      write that many bytes, then close
 *                            SINK <bytes>      read that many bytes, answer "ack <bytes>\n"
 *                          The close port accepts and waits for the client to close,
 *                          then resets (no TIME_WAIT on either side).
 *                          The UDP port echoes every datagram to its sender.
 *                          The HTTP port answers one "GET /x HTTP/1.x" per connection
 *                          with a fixed 200 response (a 100-byte body, Content-Length,
 *                          Connection: close), then closes its side as such a server does;
 *                          any other request gets a 400 and counts as bad.
 *                          Commands on stdin: "stats" prints the counters as one JSON
 *                          line; "quit" or end of input ends the program.
 *   peer load <port> <count> <inflight> <seconds>
 *                          connects <count> times to 127.0.0.1:<port>, at most <inflight>
 *                          at a time; each connection is held until the server closes
 *                          it. Prints {"connected":..,"closedByServer":..,"failed":..}.
 *   peer spin <seconds>    a busy loop at the lowest priority (nice 19).
 *   peer exec <cmd> [args] runs <cmd> so that it is killed when the harness dies.
 *
 * Every mode arranges to die with its parent (PR_SET_PDEATHSIG) and is bounded in time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define CHUNK (256 * 1024)
#define HEADER_MAX 128
/* An HTTP request head (request line and headers) may be at most this long. */
#define HTTP_HEAD_MAX 2048

static void die_with_parent(void) {
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent || parent == 1) _exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what) {
  fprintf(stderr, "peer: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int listen_loopback(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = loopback(0);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) fail("bind");
  if (listen(fd, 4096) < 0) fail("listen");
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return fd;
}

/* ------------------------------------------------------------------ generated lines */

/* Line i of a LINES stream: "L<i>:" then letters, 19..39 bytes, then "\n" (20..40 in all).
 * benchmarks/workloads.ts computes the same text to check the last line a client got. */
static size_t make_line(uint64_t i, uint64_t seed, char *out) {
  size_t len = 19 + (size_t)((i * 7919 + seed) % 21);
  int n = snprintf(out, 48, "L%llu:", (unsigned long long)i);
  for (size_t k = (size_t)n; k < len; k++) out[k] = (char)('a' + (i + k) % 26);
  out[len] = '\n';
  return len + 1;
}

/* ------------------------------------------------------------------ serve mode */

enum mode { M_HEADER, M_ECHO, M_LINES, M_BULK, M_SINK, M_DRAIN, M_CLOSER, M_HTTP_HEAD, M_HTTP_REPLY };

struct conn {
  int fd;
  enum mode mode;
  char header[HEADER_MAX];
  size_t header_len;
  /* Pending output: out[out_off, out_len). */
  char *out;
  size_t out_len, out_off, out_cap;
  uint64_t todo;   /* LINES: lines left; BULK: bytes left; SINK: bytes still expected */
  uint64_t total;  /* SINK: bytes expected in all */
  uint64_t next;   /* LINES: index of the next line */
  uint64_t seed;
  int want_out;    /* registered for EPOLLOUT */
  char *head;      /* HTTP: the request head read so far (HTTP_HEAD_MAX bytes) */
  size_t head_len;
};

static struct {
  uint64_t conns, close_conns, echo_bytes, echo_lines, lines_sent, line_bytes, bulk_sent, sink_bytes, acks, bad_requests;
  uint64_t udp_echoed, udp_unsent;
  uint64_t http_conns, http_requests, http_responses, http_bad;
} stats;

static char pattern[CHUNK];
static int epfd;

static void watch(struct conn *c, int want_out) {
  if (c->want_out == want_out) return;
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = want_out;
}

static void conn_free(struct conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->out);
  free(c->head);
  free(c);
}

static void out_reserve(struct conn *c, size_t more) {
  if (c->out_off == c->out_len) c->out_off = c->out_len = 0;
  if (c->out_len + more <= c->out_cap) return;
  if (c->out_off > 0) {
    memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
    c->out_len -= c->out_off;
    c->out_off = 0;
  }
  if (c->out_len + more <= c->out_cap) return;
  size_t cap = c->out_cap ? c->out_cap : 4096;
  while (cap < c->out_len + more) cap *= 2;
  c->out = realloc(c->out, cap);
  if (!c->out) fail("realloc");
  c->out_cap = cap;
}

static void out_put(struct conn *c, const char *data, size_t n) {
  out_reserve(c, n);
  memcpy(c->out + c->out_len, data, n);
  c->out_len += n;
}

/* Writes pending output, producing more for LINES/BULK. Returns -1 if the connection died. */
static int pump_out(struct conn *c) {
  for (;;) {
    if (c->out_off == c->out_len) {
      if (c->mode == M_LINES && c->todo > 0) {
        out_reserve(c, CHUNK);
        while (c->todo > 0 && c->out_len + 48 <= c->out_cap) {
          size_t n = make_line(c->next++, c->seed, c->out + c->out_len);
          c->out_len += n;
          c->todo--;
          stats.lines_sent++;
          stats.line_bytes += n;
        }
      } else if (c->mode == M_BULK && c->todo > 0) {
        size_t n = c->todo < CHUNK ? (size_t)c->todo : CHUNK;
        ssize_t w = send(c->fd, pattern, n, MSG_NOSIGNAL);
        if (w < 0) {
          if (errno == EAGAIN) {
            watch(c, 1);
            return 0;
          }
          return -1;
        }
        c->todo -= (uint64_t)w;
        stats.bulk_sent += (uint64_t)w;
        continue;
      } else {
        if (c->mode == M_HTTP_REPLY) stats.http_responses++;
        if (((c->mode == M_LINES || c->mode == M_BULK) && c->todo == 0) || c->mode == M_HTTP_REPLY) {
          /* Everything is out: end the stream, then wait for the client's close. */
          shutdown(c->fd, SHUT_WR);
          c->mode = M_DRAIN;
        }
        watch(c, 0);
        return 0;
      }
    }
    ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN) {
        watch(c, 1);
        return 0;
      }
      return -1;
    }
    c->out_off += (size_t)w;
  }
}

static int start_request(struct conn *c) {
  unsigned long long a = 0, b = 0;
  char *h = c->header;
  if (strcmp(h, "ECHO") == 0) {
    c->mode = M_ECHO;
  } else if (sscanf(h, "LINES %llu %llu", &a, &b) == 2) {
    c->mode = M_LINES;
    c->todo = a;
    c->seed = b;
  } else if (sscanf(h, "BULK %llu", &a) == 1) {
    c->mode = M_BULK;
    c->todo = a;
  } else if (sscanf(h, "SINK %llu", &a) == 1) {
    c->mode = M_SINK;
    c->todo = c->total = a;
  } else {
    stats.bad_requests++;
    return -1;
  }
  return 0;
}

/* The HTTP port's one response: a 100-byte body (digits, then letters), as
 * benchmarks/job.ts's HTTP_BODY, which the clients compare every body with. */
static const char http_ok[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
    "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqr";
static const char http_bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/* Accumulates an HTTP request head; once it is complete, queues the response. */
static int on_http_bytes(struct conn *c, const char *p, size_t n) {
  if (c->head_len + n > HTTP_HEAD_MAX) {
    stats.http_bad++;
    return -1;
  }
  memcpy(c->head + c->head_len, p, n);
  size_t from = c->head_len > 3 ? c->head_len - 3 : 0;
  c->head_len += n;
  if (!memmem(c->head + from, c->head_len - from, "\r\n\r\n", 4)) return 0;
  /* The request line the clients send: GET /x HTTP/1.1 (1.0 accepted). */
  int good = c->head_len >= 17 && memcmp(c->head, "GET /x HTTP/1.", 14) == 0 && c->head[15] == '\r';
  if (good) {
    stats.http_requests++;
    out_put(c, http_ok, sizeof http_ok - 1);
  } else {
    stats.http_bad++;
    out_put(c, http_bad, sizeof http_bad - 1);
  }
  c->mode = M_HTTP_REPLY;
  return 0;
}

/* Handles bytes the client sent. Returns -1 if the connection must go. */
static int on_bytes(struct conn *c, const char *p, size_t n) {
  while (n > 0) {
    switch (c->mode) {
      case M_HEADER: {
        const char *lf = memchr(p, '\n', n);
        size_t take = lf ? (size_t)(lf - p) : n;
        if (c->header_len + take >= HEADER_MAX) return -1;
        memcpy(c->header + c->header_len, p, take);
        c->header_len += take;
        if (!lf) return 0;
        c->header[c->header_len] = 0;
        if (c->header_len > 0 && c->header[c->header_len - 1] == '\r') c->header[c->header_len - 1] = 0;
        p += take + 1;
        n -= take + 1;
        if (start_request(c) < 0) return -1;
        break;
      }
      case M_ECHO: {
        for (size_t k = 0; k < n; k++) stats.echo_lines += p[k] == '\n';
        stats.echo_bytes += n;
        out_put(c, p, n);
        return 0;
      }
      case M_SINK: {
        size_t take = n < c->todo ? n : (size_t)c->todo;
        c->todo -= take;
        stats.sink_bytes += n;
        if (take > 0 && c->todo == 0) {
          char ack[48];
          int len = snprintf(ack, sizeof ack, "ack %llu\n", (unsigned long long)c->total);
          out_put(c, ack, (size_t)len);
          stats.acks++;
        }
        return 0;
      }
      case M_HTTP_HEAD:
        return on_http_bytes(c, p, n);
      default:
        /* LINES, BULK, DRAIN, HTTP_REPLY: the client is not expected to send; ignore it. */
        return 0;
    }
  }
  return 0;
}

/* A close-port connection: the client closed (or failed); end it with a reset. The client
 * closes first, so its side would linger in TIME_WAIT; a reset in FIN_WAIT2 ends it at
 * once, and SO_LINGER 0 spares this side too. Without that, tens of thousands of TIME_WAIT
 * sockets pile up over a run and every connect pays for searching past them. */
static void closer_readable(struct conn *c) {
  char b[64];
  ssize_t r = recv(c->fd, b, sizeof b, 0);
  if (r > 0 || (r < 0 && errno == EAGAIN)) return;
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  conn_free(c);
}

static void on_readable(struct conn *c) {
  static char buf[CHUNK];
  if (c->mode == M_CLOSER) {
    closer_readable(c);
    return;
  }
  for (;;) {
    ssize_t r = recv(c->fd, buf, sizeof buf, 0);
    if (r > 0) {
      if (on_bytes(c, buf, (size_t)r) < 0) {
        conn_free(c);
        return;
      }
      /* Echo: do not read more while output is stuck (keeps memory bounded). */
      if (c->out_off != c->out_len) break;
      if ((size_t)r < sizeof buf) break;
      continue;
    }
    if (r == 0 || errno != EAGAIN) {
      conn_free(c);
      return;
    }
    break;
  }
  if (pump_out(c) < 0) conn_free(c);
}

enum port_kind { P_SERVICE, P_CLOSE, P_HTTP };

static void accept_all(int lfd, enum port_kind kind) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    struct conn *c = calloc(1, sizeof *c);
    if (!c) fail("calloc");
    c->fd = fd;
    if (kind == P_CLOSE) {
      stats.close_conns++;
      c->mode = M_CLOSER;
    } else if (kind == P_HTTP) {
      stats.http_conns++;
      set_nodelay(fd);
      c->mode = M_HTTP_HEAD;
      c->head = malloc(HTTP_HEAD_MAX);
      if (!c->head) fail("malloc");
    } else {
      stats.conns++;
      set_nodelay(fd);
      c->mode = M_HEADER;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  }
}

static void print_stats(void) {
  printf(
      "{\"conns\":%llu,\"closeConns\":%llu,\"echoBytes\":%llu,\"echoLines\":%llu,\"linesSent\":%llu,"
      "\"lineBytes\":%llu,\"bulkSent\":%llu,\"sinkBytes\":%llu,\"acks\":%llu,\"badRequests\":%llu,"
      "\"udpEchoed\":%llu,\"udpUnsent\":%llu,\"httpConns\":%llu,\"httpRequests\":%llu,\"httpResponses\":%llu,"
      "\"httpBad\":%llu}\n",
      (unsigned long long)stats.conns, (unsigned long long)stats.close_conns, (unsigned long long)stats.echo_bytes,
      (unsigned long long)stats.echo_lines, (unsigned long long)stats.lines_sent, (unsigned long long)stats.line_bytes,
      (unsigned long long)stats.bulk_sent, (unsigned long long)stats.sink_bytes, (unsigned long long)stats.acks,
      (unsigned long long)stats.bad_requests, (unsigned long long)stats.udp_echoed,
      (unsigned long long)stats.udp_unsent, (unsigned long long)stats.http_conns, (unsigned long long)stats.http_requests,
      (unsigned long long)stats.http_responses, (unsigned long long)stats.http_bad);
  fflush(stdout);
}

/* The UDP port: a non-blocking socket on the loopback with a large receive buffer. */
static int udp_loopback(int *port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  struct sockaddr_in a = loopback(0);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) fail("bind");
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return fd;
}

/* Echoes every datagram waiting on the UDP port to its sender. */
static void udp_echo(int fd) {
  static char buf[65536];
  for (;;) {
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    if (r < 0) return;
    if (sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, flen) == r) stats.udp_echoed++;
    else stats.udp_unsent++;
  }
}

/* Returns 1 to keep going, 0 to quit. */
static int on_stdin(void) {
  static char line[256];
  static size_t len;
  ssize_t r = read(0, line + len, sizeof line - 1 - len);
  if (r <= 0) return 0;
  len += (size_t)r;
  for (;;) {
    char *lf = memchr(line, '\n', len);
    if (!lf) break;
    *lf = 0;
    if (strcmp(line, "stats") == 0) print_stats();
    else if (strcmp(line, "quit") == 0) return 0;
    size_t used = (size_t)(lf - line) + 1;
    memmove(line, lf + 1, len - used);
    len -= used;
  }
  if (len == sizeof line - 1) len = 0;
  return 1;
}

static int serve(void) {
  for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (char)('A' + i % 61);
  int service_port, close_port, udp_port, http_port;
  int service = listen_loopback(&service_port);
  int closer = listen_loopback(&close_port);
  int http = listen_loopback(&http_port);
  int udp = udp_loopback(&udp_port);
  epfd = epoll_create1(EPOLL_CLOEXEC);
  static char tag_service, tag_close, tag_stdin, tag_udp, tag_http;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &tag_service};
  epoll_ctl(epfd, EPOLL_CTL_ADD, service, &ev);
  ev.data.ptr = &tag_close;
  epoll_ctl(epfd, EPOLL_CTL_ADD, closer, &ev);
  ev.data.ptr = &tag_udp;
  epoll_ctl(epfd, EPOLL_CTL_ADD, udp, &ev);
  ev.data.ptr = &tag_http;
  epoll_ctl(epfd, EPOLL_CTL_ADD, http, &ev);
  ev.data.ptr = &tag_stdin;
  epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);
  printf("ports %d %d %d %d\n", service_port, close_port, udp_port, http_port);
  fflush(stdout);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    for (int i = 0; i < n; i++) {
      void *p = events[i].data.ptr;
      if (p == &tag_service) accept_all(service, P_SERVICE);
      else if (p == &tag_close) accept_all(closer, P_CLOSE);
      else if (p == &tag_http) accept_all(http, P_HTTP);
      else if (p == &tag_udp) udp_echo(udp);
      else if (p == &tag_stdin) {
        if (!on_stdin()) return 0;
      } else {
        struct conn *c = p;
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(c);
        else if (events[i].events & EPOLLOUT) {
          if (pump_out(c) < 0) conn_free(c);
        }
      }
    }
  }
}

/* ------------------------------------------------------------------ load mode */

static int load(int port, long count, int inflight, double seconds) {
  epfd = epoll_create1(EPOLL_CLOEXEC);
  struct sockaddr_in a = loopback(port);
  long started = 0, connected = 0, closed_by_server = 0, failed = 0, open = 0;
  double deadline = now_s() + seconds;
  struct epoll_event events[MAX_EVENTS];
  while ((started < count || open > 0) && now_s() < deadline) {
    while (started < count && open < inflight) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) fail("socket");
      started++;
      if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        failed++;
        close(fd);
        continue;
      }
      /* data.u64: fd in the low half, "connect confirmed" flag in the high half. */
      struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u64 = (uint64_t)fd};
      epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
      open++;
    }
    int n = epoll_wait(epfd, events, MAX_EVENTS, 100);
    for (int i = 0; i < n; i++) {
      int fd = (int)(events[i].data.u64 & 0xffffffffu);
      int confirmed = (int)(events[i].data.u64 >> 32);
      uint32_t e = events[i].events;
      if (!confirmed && (e & EPOLLOUT)) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          failed++;
          epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
          close(fd);
          open--;
          continue;
        }
        connected++;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u64 = (uint64_t)fd | (1ull << 32)};
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
        if (!(e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) continue;
      }
      if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        char b[64];
        ssize_t r = recv(fd, b, sizeof b, 0);
        if (r > 0) continue;
        if (r < 0 && errno == EAGAIN) continue;
        closed_by_server++;
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        open--;
      }
    }
  }
  printf("{\"connected\":%ld,\"closedByServer\":%ld,\"failed\":%ld,\"timedOut\":%s}\n", connected, closed_by_server,
         failed, (started < count || open > 0) ? "true" : "false");
  fflush(stdout);
  return 0;
}

/* ------------------------------------------------------------------ spin mode */

static int spin(double seconds) {
  setpriority(PRIO_PROCESS, 0, 19);
  double end = now_s() + seconds;
  volatile uint64_t x = 0;
  while (now_s() < end)
    for (int i = 0; i < 100000; i++) x += (uint64_t)i;
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
    die_with_parent();
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[2], argv + 2);
    fail("exec");
  }
  die_with_parent();
  if (argc == 2 && strcmp(argv[1], "serve") == 0) return serve();
  if (argc == 6 && strcmp(argv[1], "load") == 0)
    return load(atoi(argv[2]), atol(argv[3]), atoi(argv[4]), atof(argv[5]));
  if (argc == 3 && strcmp(argv[1], "spin") == 0) return spin(atof(argv[2]));
  fprintf(stderr,
          "usage: peer serve | peer load <port> <count> <inflight> <seconds> | peer spin <seconds> | "
          "peer exec <cmd> [args...]\n");
  return 2;
}
