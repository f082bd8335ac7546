/*
 * grow: anonymous memory that changes over time in a known way, for the leak verdict tests.
 *
 *   grow leak RATE_KIB_S              touches RATE KiB/s more, forever (a leak at a known rate)
 *   grow sawtooth PEAK_MIB PERIOD_S   climbs to PEAK MiB over PERIOD s, frees it all, and again
 *   grow steady MIB                   holds MIB, rewriting it (no growth)
 *   grow step MIB                     holds 1 MiB; on SIGUSR1 touches MIB more at once, then holds
 *
 * Growth is applied every 50 ms, so RSS rises smoothly. All of it lives in one MAP_NORESERVE
 * reservation with transparent huge pages off, so RSS moves in exact 4 KiB pages, and freeing
 * is MADV_DONTNEED (RSS drops at once, like a GC returning memory). Prints {"pid"} once its first
 * tick's memory is resident; ends when stdin closes or on SIGTERM.
 *
 * The step comes when the test says, not at a time of the child's own: a watcher that started late
 * on a busy machine would otherwise see only the level after it. Once the step's pages are resident
 * the child prints {"stepped":true,"t":SECONDS} (wall clock, like the watcher's sample times), so
 * the test knows which samples came before it and which after.
 */
#include "common.h"

#include <time.h>

#include <sys/signalfd.h>

#define RESERVE (16UL * 1024UL * MIB)
#define TICK_MS 50

static double clock_sec(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A non-blocking signalfd for SIGUSR1 (blocked, so it only queues there). */
static int step_signal_fd(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) die("sigprocmask");
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) die("signalfd");
  return fd;
}

/* 1 when a SIGUSR1 was waiting on fd, else 0. */
static int step_signalled(int fd) {
  struct signalfd_siginfo si;
  return read(fd, &si, sizeof si) == (ssize_t)sizeof si;
}

/* Touches pages so that the first `want` bytes are resident; frees down to it when smaller. */
static void set_resident(char *base, size_t *have, size_t want, long page) {
  want = want / (size_t)page * (size_t)page;
  if (want > RESERVE) want = RESERVE;
  for (size_t off = *have; off < want; off += (size_t)page) base[off] = 1;
  if (want < *have && madvise(base + want, *have - want, MADV_DONTNEED) != 0) die("madvise");
  *have = want;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: grow leak KIB_S | sawtooth PEAK_MIB PERIOD_S | steady MIB | step MIB\n");
    return 2;
  }
  const char *mode = argv[1];
  double a = strtod(argv[2], NULL);
  double b = argc > 3 ? strtod(argv[3], NULL) : 0;
  long page = sysconf(_SC_PAGESIZE);
  setup_stop_signals();
  int step_fd = step_signal_fd();
  int stepped = 0, announced = 0;
  char *base = mmap(NULL, RESERVE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) die("mmap");
  if (madvise(base, RESERVE, MADV_NOHUGEPAGE) != 0) die("madvise(NOHUGEPAGE)");
  size_t have = 0;
  double start = clock_sec(CLOCK_MONOTONIC);
  for (;;) {
    double t = clock_sec(CLOCK_MONOTONIC) - start;
    int stepping = 0;
    size_t want;
    if (strcmp(mode, "leak") == 0) {
      want = (size_t)(a * 1024.0 * t);
    } else if (strcmp(mode, "sawtooth") == 0) {
      double phase = b > 0 ? t - b * (double)(long)(t / b) : 0;
      want = (size_t)(a * (double)MIB * phase / b);
    } else if (strcmp(mode, "steady") == 0) {
      want = (size_t)(a * (double)MIB);
      /* Rewrite what we hold, so the pages stay in use (and referenced). */
      for (size_t off = 0; off < have; off += (size_t)page) base[off]++;
    } else if (strcmp(mode, "step") == 0) {
      stepping = !stepped && step_signalled(step_fd);
      want = stepped || stepping ? MIB + (size_t)(a * (double)MIB) : MIB;
    } else {
      fprintf(stderr, "grow: unknown mode \"%s\"\n", mode);
      return 2;
    }
    set_resident(base, &have, want, page);
    if (!announced) {
      printf("{\"pid\":%d}\n", (int)getpid());
      fflush(stdout);
      announced = 1;
    }
    if (stepping) {
      stepped = 1;
      printf("{\"stepped\":true,\"t\":%.3f}\n", clock_sec(CLOCK_REALTIME));
      fflush(stdout);
    }
    if (wait_for_end(TICK_MS)) break;
  }
  return 0;
}
