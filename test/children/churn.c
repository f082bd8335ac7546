/*
 * churn: processes that come and go, for testing a scan that races with exits and PID reuse.
 *
 *   usage: churn [MAX_LIVE] [MAX_LIFE_MS]  at most MAX_LIVE children alive at once (default 8), each
 *          living 1 to MAX_LIFE_MS milliseconds after it has written its memory (default 20)
 *
 * Forks short-lived children continuously. Each child names itself "churn-new", maps and writes
 * 1-8 MiB, renames itself "churn-<S>m" (S = MiB written, so from then on its RSS is at least S MiB:
 * a scan that reports a "churn-<S>m" with less has mixed up two processes), lives 1-MAX_LIFE_MS ms
 * and exits.
 * Prints {"pid","maxLive"} at once; on stdin closing or SIGTERM it kills the children still alive,
 * reaps them, prints {"forked":N} and exits.
 */
#include "common.h"

#include <sys/wait.h>
#include <time.h>

#define MAX_LIVE_LIMIT 64

static void run_child(long max_life_ms) {
  /* Every child inherits the parent's random state: reseed or all would pick the same numbers. */
  srand((unsigned)getpid() ^ (unsigned)time(NULL));
  unsigned mib = 1 + (unsigned)(rand() % 8);
  long page_size = sysconf(_SC_PAGESIZE);
  prctl(PR_SET_NAME, "churn-new");
  size_t bytes = mib * MIB;
  char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) _exit(1);
  for (size_t off = 0; off < bytes; off += (size_t)page_size) mem[off] = 1;
  char name[16];
  snprintf(name, sizeof name, "churn-%um", mib);
  prctl(PR_SET_NAME, name);
  usleep(1000 + (useconds_t)(rand() % (max_life_ms * 1000)));
  _exit(0);
}

int main(int argc, char **argv) {
  long max_live = argc > 1 ? strtol(argv[1], NULL, 10) : 8;
  long max_life_ms = argc > 2 ? strtol(argv[2], NULL, 10) : 20;
  if (max_life_ms < 1 || max_life_ms > 60000) {
    fprintf(stderr, "churn: MAX_LIFE_MS must be 1..60000, got \"%s\"\n", argv[2]);
    return 2;
  }
  if (max_live < 1 || max_live > MAX_LIVE_LIMIT) {
    fprintf(stderr, "churn: MAX_LIVE must be 1..%d, got \"%s\"\n", MAX_LIVE_LIMIT, argc > 1 ? argv[1] : "");
    return 2;
  }
  setup_stop_signals();
  pid_t self = getpid();
  pid_t live[MAX_LIVE_LIMIT];
  long n_live = 0;
  unsigned long forked = 0;

  printf("{\"pid\":%d,\"maxLive\":%ld}\n", (int)self, max_live);
  fflush(stdout);

  for (;;) {
    pid_t done;
    while ((done = waitpid(-1, NULL, WNOHANG)) > 0) {
      for (long i = 0; i < n_live; i++) {
        if (live[i] == done) {
          live[i] = live[--n_live];
          break;
        }
      }
    }
    if (n_live < max_live) {
      pid_t pid = fork();
      if (pid == 0) {
        become_dependent_child(self);
        run_child(max_life_ms);
      }
      if (pid > 0) {
        live[n_live++] = pid;
        forked++;
      }
      /* A failed fork (EAGAIN under a pids limit) is not fatal: the next round tries again. */
    }
    if (wait_for_end(2)) break;
  }

  for (long i = 0; i < n_live; i++) kill(live[i], SIGKILL);
  for (long i = 0; i < n_live; i++) waitpid(live[i], NULL, 0);
  printf("{\"forked\":%lu}\n", forked);
  fflush(stdout);
  return 0;
}
