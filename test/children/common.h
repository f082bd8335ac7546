/*
 * Shared by the test children. Each child prints one JSON line when its layout is ready, then waits
 * until its stdin closes or it gets SIGTERM/SIGINT. Watching stdin is what ties a child's life to the
 * test process: when the test process dies, the pipe closes and the child exits, even after SIGKILL.
 */
#ifndef MEMLENS_CHILD_COMMON_H
#define MEMLENS_CHILD_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

static int stop_fd = -1;

static inline void die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(1);
}

/*
 * A signalfd instead of a handler: a handler that sets a flag races with the blocking read that
 * follows the flag check, and a SIGTERM landing in that window would be lost.
 */
static inline void setup_stop_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) die("sigprocmask");
  stop_fd = signalfd(-1, &set, SFD_CLOEXEC);
  if (stop_fd < 0) die("signalfd");
  /* A test that stops reading our stdout must not turn our goodbye line into a crash. */
  signal(SIGPIPE, SIG_IGN);
}

/*
 * Returns 1 when the child should end (stdin closed, or SIGTERM/SIGINT), 0 when timeout_ms passed
 * first. A negative timeout waits for the end.
 */
static inline int wait_for_end(int timeout_ms) {
  for (;;) {
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    int n = poll(fds, 2, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (n == 0) return 0;
    if (fds[1].revents) return 1;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
      char buf[256];
      ssize_t got = read(0, buf, sizeof buf);
      if (got <= 0 && !(got < 0 && errno == EINTR)) return 1;
      /* Bytes written to our stdin are ignored: only its end matters. */
    }
  }
}

/*
 * For a forked child: die with the parent (even if the parent is SIGKILLed), and drop what it
 * inherited from the parent's waiting machinery, so that signals behave normally again.
 */
static inline void become_dependent_child(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) _exit(1);
  /* The parent may have died between fork() and prctl(); then nobody would ever signal us. */
  if (getppid() != parent) _exit(0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  if (stop_fd >= 0) close(stop_fd);
}

/*
 * Maps `pages` pages that the kernel cannot merge with each other or with neighbours: a PROT_NONE
 * guard page on each side, and inner pages alternating between read-write and read-only. Each inner
 * page is written first so that it is resident and private-dirty. Returns the first inner page.
 */
static inline char *map_separate_pages(size_t pages, long page_size) {
  size_t ps = (size_t)page_size;
  char *area = mmap(NULL, (pages + 2) * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) die("mmap (separate pages)");
  char *inner = area + ps;
  for (size_t i = 0; i < pages; i++) inner[i * ps] = (char)(i | 1);
  if (mprotect(area, ps, PROT_NONE) != 0) die("mprotect (guard)");
  if (mprotect(inner + pages * ps, ps, PROT_NONE) != 0) die("mprotect (guard)");
  for (size_t i = 1; i < pages; i += 2) {
    if (mprotect(inner + i * ps, ps, PROT_READ) != 0) {
      /* Each split adds a mapping, so ENOMEM here is almost always vm.max_map_count. */
      if (errno == ENOMEM) fprintf(stderr, "too many mappings for vm.max_map_count at page %zu\n", i);
      die("mprotect (alternate page)");
    }
  }
  return inner;
}

/* Reads one byte of every page so that every page is resident; volatile keeps the reads. */
static inline unsigned long read_every_page(const char *start, size_t bytes, long page_size) {
  unsigned long sum = 0;
  for (size_t off = 0; off < bytes; off += (size_t)page_size) sum += ((const volatile char *)start)[off];
  return sum;
}

/* Writes `s` as a JSON string (paths may hold quotes, backslashes or control characters). */
static inline void print_json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      fputc('\\', out);
      fputc(*p, out);
    } else if (*p < 0x20) {
      fprintf(out, "\\u%04x", *p);
    } else {
      fputc(*p, out);
    }
  }
  fputc('"', out);
}

/* Addresses go out as hex strings: they pass 2^53 and JSON numbers would lose them. */
static inline void print_addr(FILE *out, const char *key, const void *addr) {
  fprintf(out, "\"%s\":\"0x%lx\"", key, (unsigned long)(uintptr_t)addr);
}

#endif
