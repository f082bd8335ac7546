/*
 * exchange: swaps two paths over and over, atomically, as someone racing a check of one of them
 * would: a folder and a symbolic link, say, so that a checker sees the folder and the next call
 * reaches the link.
 *
 *   usage: exchange PATH_A PATH_B
 *
 * Prints {"pid"} at once, then swaps with renameat2(RENAME_EXCHANGE) until stdin closes or
 * SIGTERM, then prints {"swaps":N} and exits with the paths as they were at the start.
 */
#include "common.h"

#include <fcntl.h>

static void swap_once(const char *a, const char *b) {
  if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0) die("renameat2");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: exchange PATH_A PATH_B\n");
    return 2;
  }
  setup_stop_signals();
  printf("{\"pid\":%d}\n", (int)getpid());
  fflush(stdout);
  unsigned long swaps = 0;
  do {
    for (int i = 0; i < 256; i++, swaps++) swap_once(argv[1], argv[2]);
  } while (!wait_for_end(0));
  /* 256 at a time: an even count, so each path is back where it started. */
  printf("{\"swaps\":%lu}\n", swaps);
  return 0;
}
