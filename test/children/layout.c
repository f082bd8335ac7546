/*
 * layout: a process whose memory layout is known to the byte, for checking what memlens reports.
 *
 *   usage: layout [DIR]      DIR holds the mapped file (default $TMPDIR, then /tmp)
 *
 * - reserves 256 MiB of anonymous address space and touches the first 64 MiB of it;
 * - maps an 8 MiB file MAP_SHARED read-only and reads every page;
 * - makes 1000 separate 4 KiB mappings, each resident;
 * - forks a child that keeps all of it, so anonymous pages are shared copy-on-write and file pages
 *   are mapped by both: each process's PSS for those regions is about half its RSS.
 *
 * Prints one JSON line when ready, waits for stdin to close or SIGTERM, then kills its child and
 * removes the file.
 */
#include "common.h"

#include <fcntl.h>
#include <sys/wait.h>

#define RESERVE_BYTES (256 * MIB)
#define TOUCHED_BYTES (64 * MIB)
#define FILE_BYTES (8 * MIB)
#define SMALL_MAPPINGS 1000

static char *map_file(const char *dir, char *path, size_t path_len, long page_size) {
  snprintf(path, path_len, "%s/memlens-layout-%d.bin", dir, (int)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) die(path);
  /* Real data rather than ftruncate: a sparse file's holes would not be page cache pages. */
  char *block = malloc((size_t)page_size);
  if (!block) die("malloc");
  memset(block, 'm', (size_t)page_size);
  for (size_t off = 0; off < FILE_BYTES; off += (size_t)page_size) {
    if (write(fd, block, (size_t)page_size) != page_size) die("write");
  }
  free(block);
  /* Written pages stay dirty until writeback and smaps would count them as dirty for ~30 s. */
  if (fsync(fd) != 0) die("fsync");
  char *map = mmap(NULL, FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) die("mmap (file)");
  close(fd);
  read_every_page(map, FILE_BYTES, page_size);
  return map;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  long page_size = sysconf(_SC_PAGESIZE);
  setup_stop_signals();

  char *reserve = mmap(NULL, RESERVE_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reserve == MAP_FAILED) die("mmap (reserve)");
  /* Before touching: a transparent huge page would make RSS jump in 2 MiB steps, not 4 KiB ones. */
  if (madvise(reserve, RESERVE_BYTES, MADV_NOHUGEPAGE) != 0) die("madvise");
  for (size_t off = 0; off < TOUCHED_BYTES; off += (size_t)page_size) reserve[off] = 1;

  char path[4096];
  char *file = map_file(dir, path, sizeof path, page_size);
  char *small = map_separate_pages(SMALL_MAPPINGS, page_size);

  pid_t parent = getpid();
  int ready[2];
  if (pipe(ready) != 0) die("pipe");
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    become_dependent_child(parent);
    /*
     * fork() copies no page tables for shared file mappings (they fault back in on use), so the file
     * would be resident only in the parent; reading it here makes both map every page.
     */
    read_every_page(file, FILE_BYTES, page_size);
    close(ready[0]);
    if (write(ready[1], "r", 1) != 1) _exit(1);
    close(ready[1]);
    /* Holding the parent's stdout open would keep the test's pipe open after the parent exits. */
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
    }
    /* Touches nothing: any write would break the copy-on-write sharing this child exists for. */
    for (;;) pause();
  }
  close(ready[1]);
  char byte;
  if (read(ready[0], &byte, 1) != 1) die("forked child did not get ready");
  close(ready[0]);

  printf("{\"pid\":%d,\"childPid\":%d,\"pageSize\":%ld,", (int)parent, (int)child, page_size);
  print_addr(stdout, "reserveStart", reserve);
  putchar(',');
  print_addr(stdout, "reserveEnd", reserve + RESERVE_BYTES);
  printf(",\"reserveBytes\":%lu,\"touchedBytes\":%lu,\"filePath\":", RESERVE_BYTES, TOUCHED_BYTES);
  print_json_string(stdout, path);
  putchar(',');
  print_addr(stdout, "fileStart", file);
  putchar(',');
  print_addr(stdout, "fileEnd", file + FILE_BYTES);
  printf(",\"fileBytes\":%lu,\"smallMappings\":%d,\"smallMappingBytes\":%ld,", FILE_BYTES, SMALL_MAPPINGS,
         page_size);
  print_addr(stdout, "smallStart", small);
  putchar(',');
  print_addr(stdout, "smallEnd", small + (size_t)SMALL_MAPPINGS * (size_t)page_size);
  printf("}\n");
  fflush(stdout);

  wait_for_end(-1);

  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  unlink(path);
  return 0;
}
