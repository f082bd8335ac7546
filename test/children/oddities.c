/*
 * oddities: regions that memlens has to explain rather than just count.
 *
 *   usage: oddities [DIR]    DIR holds the (then deleted) file (default $TMPDIR, then /tmp)
 *
 * - 16 MiB of anonymous memory written, then given back with MADV_FREE: still in RSS, and counted
 *   as LazyFree until the kernel needs the memory;
 * - a 1 MiB file whose name holds spaces and parentheses, mapped and read, then deleted: its maps
 *   line ends in " (deleted)" and its path must not be cut at a space;
 * - 4 MiB of memfd shared memory, written: "/memfd:memlens-shm (deleted)", counted as RssShmem.
 *
 * Prints one JSON line when ready, then waits for stdin to close or SIGTERM.
 */
#include "common.h"

#include <fcntl.h>

#define LAZY_BYTES (16 * MIB)
#define DELETED_BYTES (1 * MIB)
#define MEMFD_BYTES (4 * MIB)

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  long page_size = sysconf(_SC_PAGESIZE);
  setup_stop_signals();

  /* Guard pages on both sides so that the region stays one mapping, apart from its neighbours. */
  char *lazy_area = mmap(NULL, LAZY_BYTES + 2 * (size_t)page_size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (lazy_area == MAP_FAILED) die("mmap (lazyfree)");
  char *lazy = lazy_area + page_size;
  if (mprotect(lazy_area, (size_t)page_size, PROT_NONE) != 0) die("mprotect (guard)");
  if (mprotect(lazy + LAZY_BYTES, (size_t)page_size, PROT_NONE) != 0) die("mprotect (guard)");
  /* Huge pages would be split or freed differently by MADV_FREE; 4 KiB pages keep it exact. */
  madvise(lazy, LAZY_BYTES, MADV_NOHUGEPAGE);
  for (size_t off = 0; off < LAZY_BYTES; off += (size_t)page_size) lazy[off] = 1;
  if (madvise(lazy, LAZY_BYTES, MADV_FREE) != 0) die("madvise (MADV_FREE)");

  char path[4096];
  snprintf(path, sizeof path, "%s/memlens odd (file) %d.bin", dir, (int)getpid());
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) die(path);
  char *block = malloc((size_t)page_size);
  if (!block) die("malloc");
  memset(block, 'd', (size_t)page_size);
  for (size_t off = 0; off < DELETED_BYTES; off += (size_t)page_size) {
    if (write(fd, block, (size_t)page_size) != page_size) die("write");
  }
  free(block);
  if (fsync(fd) != 0) die("fsync");
  char *deleted = mmap(NULL, DELETED_BYTES, PROT_READ, MAP_PRIVATE, fd, 0);
  if (deleted == MAP_FAILED) die("mmap (file)");
  close(fd);
  read_every_page(deleted, DELETED_BYTES, page_size);
  if (unlink(path) != 0) die("unlink");

  int mfd = memfd_create("memlens-shm", MFD_CLOEXEC);
  if (mfd < 0) die("memfd_create");
  if (ftruncate(mfd, MEMFD_BYTES) != 0) die("ftruncate");
  char *shm = mmap(NULL, MEMFD_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  if (shm == MAP_FAILED) die("mmap (memfd)");
  close(mfd);
  for (size_t off = 0; off < MEMFD_BYTES; off += (size_t)page_size) shm[off] = 1;

  printf("{\"pid\":%d,\"pageSize\":%ld,", (int)getpid(), page_size);
  print_addr(stdout, "lazyFreeStart", lazy);
  putchar(',');
  print_addr(stdout, "lazyFreeEnd", lazy + LAZY_BYTES);
  printf(",\"lazyFreeBytes\":%lu,\"deletedPath\":", LAZY_BYTES);
  print_json_string(stdout, path);
  putchar(',');
  print_addr(stdout, "deletedStart", deleted);
  putchar(',');
  print_addr(stdout, "deletedEnd", deleted + DELETED_BYTES);
  printf(",\"deletedBytes\":%lu,\"memfdPath\":\"/memfd:memlens-shm\",", DELETED_BYTES);
  print_addr(stdout, "memfdStart", shm);
  putchar(',');
  print_addr(stdout, "memfdEnd", shm + MEMFD_BYTES);
  printf(",\"memfdBytes\":%lu}\n", MEMFD_BYTES);
  fflush(stdout);

  wait_for_end(-1);
  return 0;
}
