/*
 * grow: anonymous memory that changes over time in a known way, for the leak verdict tests.
 *
 *   grow leak RATE_KIB_S              touches RATE KiB/s more, forever (a leak at a known rate)
 *   grow sawtooth PEAK_MIB PERIOD_S   climbs to PEAK MiB over PERIOD s, frees it all, and again
 *   grow steady MIB                   holds MIB, rewriting it (no growth)
 *   grow step MIB AT_S                holds 1 MiB, at AT_S touches MIB more at once, then holds
 *
 * Growth is applied every 50 ms, so RSS rises smoothly. All of it lives in one MAP_NORESERVE
 * reservation with transparent huge pages off, so RSS moves in exact 4 KiB pages, and freeing
 * is MADV_DONTNEED (RSS drops at once, like a GC returning memory). Prints {"pid"} when ready;
 * ends when stdin closes or on SIGTERM.
 */
#include "common.h"

#include <time.h>

#define RESERVE (16UL * 1024UL * MIB)
#define TICK_MS 50

static double now_sec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
    fprintf(stderr, "usage: grow leak KIB_S | sawtooth PEAK_MIB PERIOD_S | steady MIB | step MIB AT_S\n");
    return 2;
  }
  const char *mode = argv[1];
  double a = strtod(argv[2], NULL);
  double b = argc > 3 ? strtod(argv[3], NULL) : 0;
  long page = sysconf(_SC_PAGESIZE);
  setup_stop_signals();
  char *base = mmap(NULL, RESERVE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) die("mmap");
  if (madvise(base, RESERVE, MADV_NOHUGEPAGE) != 0) die("madvise(NOHUGEPAGE)");
  size_t have = 0;
  double start = now_sec();
  printf("{\"pid\":%d}\n", (int)getpid());
  fflush(stdout);
  for (;;) {
    double t = now_sec() - start;
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
      want = t < b ? MIB : MIB + (size_t)(a * (double)MIB);
    } else {
      fprintf(stderr, "grow: unknown mode \"%s\"\n", mode);
      return 2;
    }
    set_resident(base, &have, want, page);
    if (wait_for_end(TICK_MS)) break;
  }
  return 0;
}
