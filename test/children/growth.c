/*
 * growth: a process that grows when told to, for checking what `memlens diff` reports.
 *
 *   usage: growth [MIB] [THREADS]      defaults: 32 MiB and 3 threads per step
 *
 * Prints {"pid","pageSize"} when ready. Then, for each line read on stdin:
 * - maps MIB MiB of anonymous memory and writes every page, so exactly MIB MiB become resident in
 *   one new region. MAP_NORESERVE and MADV_NOHUGEPAGE give it VmFlags ("nr", "nh") that no
 *   neighbour has, so the kernel never merges it with one (a merge would make it "grown", not
 *   "new"), and "nr" keeps memlens from taking it for a thread stack above a guard page;
 * - starts THREADS threads that each write STACK_TOUCH bytes of their stack, then wait forever;
 * and prints {"regionStart","regionEnd","regionBytes","threads","stackTouchedBytes"} once all of
 * that is done. Ends when stdin closes or on SIGTERM.
 */
#include "common.h"

#include <pthread.h>

#define STACK_TOUCH (32 * 1024)

static int started[2];

static void *thread_main(void *arg) {
  (void)arg;
  volatile char buf[STACK_TOUCH];
  for (size_t i = 0; i < sizeof buf; i += 1024) buf[i] = 1;
  if (write(started[1], "t", 1) != 1) abort();
  /* SIGTERM and SIGINT stay blocked here (inherited), so only the process's exit ends us. */
  for (;;) pause();
  return NULL;
}

static void grow(size_t bytes, int threads, long page_size) {
  char *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) die("mmap (growth)");
  /* Before touching: a huge page would make the region resident in 2 MiB steps. */
  if (madvise(region, bytes, MADV_NOHUGEPAGE) != 0) die("madvise");
  for (size_t off = 0; off < bytes; off += (size_t)page_size) region[off] = 1;
  for (int i = 0; i < threads; i++) {
    pthread_t t;
    int err = pthread_create(&t, NULL, thread_main, NULL);
    if (err != 0) {
      errno = err;
      die("pthread_create");
    }
    pthread_detach(t);
  }
  /* Report only once every thread has touched its stack: the test snapshots right after. */
  for (int i = 0; i < threads; i++) {
    char c;
    if (read(started[0], &c, 1) != 1) die("read (thread started)");
  }
  putchar('{');
  print_addr(stdout, "regionStart", region);
  putchar(',');
  print_addr(stdout, "regionEnd", region + bytes);
  printf(",\"regionBytes\":%zu,\"threads\":%d,\"stackTouchedBytes\":%d}\n", bytes, threads, STACK_TOUCH);
  fflush(stdout);
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 32;
  int threads = argc > 2 ? atoi(argv[2]) : 3;
  long page_size = sysconf(_SC_PAGESIZE);
  setup_stop_signals();
  if (pipe(started) != 0) die("pipe");
  printf("{\"pid\":%d,\"pageSize\":%ld}\n", (int)getpid(), page_size);
  fflush(stdout);

  /* wait_for_end() discards what stdin carries; here each line is a command, so read it ourselves. */
  for (;;) {
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[1].revents) break;
    char buf[256];
    ssize_t got = read(0, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    for (ssize_t i = 0; i < got; i++) {
      if (buf[i] == '\n') grow(mib * MIB, threads, page_size);
    }
  }
  return 0;
}
