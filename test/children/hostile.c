/*
 * hostile: a process whose strings are meant to attack whoever displays them.
 *
 *   usage: hostile [ARGS...]    ARGS are not read: they are there to be seen in /proc/PID/cmdline
 *
 *   HOSTILE_COMM   a name for prctl(PR_SET_NAME) (comm: 15 bytes at most), e.g. "\e]0;PWNED\a"
 *   HOSTILE_MAP    a file to create, map and keep mapped: its path shows in /proc/PID/maps; it is
 *                  1 GiB, sparse, one page touched, so that it is the largest region by size
 *
 * Names and paths may hold any byte but NUL (and '/' in a name). Prints one JSON line when
 * ready, then waits for stdin to close or SIGTERM; the mapped file is removed before it exits.
 */
#include "common.h"

#include <fcntl.h>

#define MAP_BYTES (1024 * MIB)

int main(void) {
  long page_size = sysconf(_SC_PAGESIZE);
  setup_stop_signals();
  const char *comm = getenv("HOSTILE_COMM");
  if (comm && prctl(PR_SET_NAME, comm) != 0) die("prctl (PR_SET_NAME)");
  const char *map = getenv("HOSTILE_MAP");
  if (map) {
    int fd = open(map, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) die("open (HOSTILE_MAP)");
    if (ftruncate(fd, MAP_BYTES) != 0) die("ftruncate");
    char *area = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (area == MAP_FAILED) die("mmap (HOSTILE_MAP)");
    close(fd);
    area[0] = 1;
  }
  printf("{\"pid\":%d}\n", (int)getpid());
  fflush(stdout);
  wait_for_end(-1);
  if (map) unlink(map);
  return 0;
}
