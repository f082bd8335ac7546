/*
 * manymaps: a process with N separate, resident one-page mappings, for testing scale (smaps of
 * thousands of regions, the 50,000-mapping benchmark).
 *
 *   usage: manymaps [N]      N defaults to 3000; vm.max_map_count (65530 by default) bounds it
 *
 * The N mappings are contiguous in [start, end), alternate between rw-p and r--p so that the kernel
 * cannot merge them, and have one written page each. Prints one JSON line when ready, then waits for
 * stdin to close or SIGTERM.
 */
#include "common.h"

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 3000;
  if (n < 1 || n > 1000000) {
    fprintf(stderr, "manymaps: N must be a positive count, got \"%s\"\n", argc > 1 ? argv[1] : "");
    return 2;
  }
  long page_size = sysconf(_SC_PAGESIZE);
  setup_stop_signals();

  char *start = map_separate_pages((size_t)n, page_size);

  printf("{\"pid\":%d,\"mappings\":%ld,\"mappingBytes\":%ld,", (int)getpid(), n, page_size);
  print_addr(stdout, "start", start);
  putchar(',');
  print_addr(stdout, "end", start + (size_t)n * (size_t)page_size);
  printf("}\n");
  fflush(stdout);

  wait_for_end(-1);
  return 0;
}
