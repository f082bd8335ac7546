// The C sources of the programs `memlens demo` compiles on first use (see build.ts). They live
// here as strings so that the package needs no build step to ship them: dist/ holds them as-is.
// Kept free of backticks and dollar-brace so that String.raw carries them byte for byte.

/** The helper process: a command loop over stdin/stdout that maps, touches, forks, frees. */
export const HELPER_SOURCE = String.raw`/*
 * memlens-lab: the helper process of "memlens demo". Node cannot fork(2), mmap with flags or
 * madvise, so memlens starts this small program and drives it: one command per line on stdin,
 * one JSON line back once the command is done ({"ok":true,...} or {"ok":false,"error":...}),
 * with {"progress":N,"total":M} lines before it during long commands. Between commands memlens
 * reads this process's /proc files: that is the experiment.
 *
 * It ends when its stdin closes, and dies with memlens even if memlens is killed
 * (PR_SET_PDEATHSIG); so does the child it forks. Ctrl-C is left to memlens, which cleans up.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define SLOTS 8
#define PROGRESS_EVERY (8UL << 20)

struct region {
  char *map;        /* what mmap returned (guard pages included) */
  size_t map_bytes;
  char *start;      /* the usable part */
  size_t bytes;
};

static struct region regions[SLOTS];
static size_t page;
static FILE *out;
static char **blocks;
static size_t nblocks;
static void *heap_guard;
static pid_t child_pid = -1;
static FILE *child_in, *child_out;

static void reply_error(const char *what) {
  fprintf(out, "{\"ok\":false,\"error\":\"%s: %s\"}\n", what, strerror(errno));
  fflush(out);
}

/* A JSON string: messages from dlerror() can hold quotes and backslashes. */
static void json_string(const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
    else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
    else fputc(*p, out);
  }
  fputc('"', out);
}

static void progress(size_t done, size_t total) {
  fprintf(out, "{\"progress\":%zu,\"total\":%zu}\n", done, total);
  fflush(out);
}

static struct region *slot(const char *arg) {
  int i = atoi(arg);
  if (i < 0 || i >= SLOTS) return NULL;
  return &regions[i];
}

static int advice(const char *name) {
  if (!strcmp(name, "dontneed")) return MADV_DONTNEED;
  if (!strcmp(name, "free")) return MADV_FREE;
  if (!strcmp(name, "random")) return MADV_RANDOM;
  if (!strcmp(name, "huge")) return MADV_HUGEPAGE;
  if (!strcmp(name, "nohuge")) return MADV_NOHUGEPAGE;
  return -1;
}

/* Writes one byte of every page in [from, from+len): each first write is one page fault. */
static void touch(char *from, size_t len) {
  for (size_t off = 0; off < len; off += page) {
    from[off] = (char)((off / page) | 1);
    if ((off + page) % PROGRESS_EVERY == 0 && off + page < len) progress(off + page, len);
  }
}

static unsigned long read_pages(const char *from, size_t len) {
  unsigned long sum = 0;
  for (size_t off = 0; off < len; off += page) {
    sum += ((const volatile char *)from)[off];
    if ((off + page) % PROGRESS_EVERY == 0 && off + page < len) progress(off + page, len);
  }
  return sum;
}

/* Pages of the file at PATH that are in the page cache now (mincore on a mapping never touched). */
static long resident_pages(const char *path, size_t *pages_out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size == 0) {
    close(fd);
    return -1;
  }
  size_t pages = ((size_t)st.st_size + page - 1) / page;
  void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) return -1;
  unsigned char *vec = malloc(pages);
  long n = -1;
  if (vec && mincore(m, (size_t)st.st_size, vec) == 0) {
    n = 0;
    for (size_t i = 0; i < pages; i++) n += vec[i] & 1;
  }
  free(vec);
  munmap(m, (size_t)st.st_size);
  *pages_out = pages;
  return n;
}

static void command(char *line);

/* The forked child runs the same commands, read from a pipe; the parent relays them. */
static void child_loop(int in_fd, int out_fd, pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(0);
  child_pid = -1;
  FILE *in = fdopen(in_fd, "r");
  out = fdopen(out_fd, "w");
  if (!in || !out) _exit(1);
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, in) > 0) command(line);
  _exit(0);
}

static void do_fork(void) {
  int to_child[2], from_child[2];
  if (child_pid > 0) {
    errno = EBUSY;
    reply_error("fork");
    return;
  }
  if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
    reply_error("pipe");
    return;
  }
  fflush(out);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    reply_error("fork");
    return;
  }
  if (pid == 0) {
    close(to_child[1]);
    close(from_child[0]);
    child_loop(to_child[0], from_child[1], parent);
  }
  close(to_child[0]);
  close(from_child[1]);
  child_in = fdopen(to_child[1], "w");
  child_out = fdopen(from_child[0], "r");
  child_pid = pid;
  fprintf(out, "{\"ok\":true,\"childPid\":%d}\n", (int)pid);
  fflush(out);
}

/* Sends one command to the child and copies its answer (progress lines included) to our stdout. */
static void relay(const char *cmd) {
  if (child_pid <= 0) {
    errno = ESRCH;
    reply_error("child");
    return;
  }
  fprintf(child_in, "%s\n", cmd);
  fflush(child_in);
  char *line = NULL;
  size_t cap = 0;
  for (;;) {
    if (getline(&line, &cap, child_out) <= 0) {
      errno = EPIPE;
      reply_error("child");
      break;
    }
    fputs(line, out);
    fflush(out);
    if (strncmp(line, "{\"ok\"", 5) == 0) break;
  }
  free(line);
}

static void child_exit(void) {
  if (child_pid <= 0) {
    errno = ESRCH;
    reply_error("child-exit");
    return;
  }
  fclose(child_in);
  fclose(child_out);
  int status = 0;
  waitpid(child_pid, &status, 0);
  child_pid = -1;
  fprintf(out, "{\"ok\":true,\"status\":%d}\n", status);
  fflush(out);
}

static void command(char *line) {
  line[strcspn(line, "\n")] = 0;
  char *rest = line;
  char *verb = strsep(&rest, " ");
  if (!verb || !*verb) return;

  if (!strcmp(verb, "map")) {
    /* map SLOT BYTES GUARDED: anonymous, private, no page touched. GUARDED=1 puts a PROT_NONE
     * page on each side, so that the kernel cannot merge the region with a neighbour and smaps
     * shows exactly it. */
    struct region *r = slot(strsep(&rest, " "));
    size_t bytes = strtoull(strsep(&rest, " ") ?: "0", NULL, 10);
    int guarded = rest && atoi(rest) == 1;
    if (!r || r->map || bytes == 0) {
      errno = EINVAL;
      reply_error("map");
      return;
    }
    size_t map_bytes = bytes + (guarded ? 2 * page : 0);
    char *m = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      reply_error("mmap");
      return;
    }
    char *start = guarded ? m + page : m;
    if (guarded && (mprotect(m, page, PROT_NONE) != 0 || mprotect(start + bytes, page, PROT_NONE) != 0)) {
      reply_error("mprotect");
      munmap(m, map_bytes);
      return;
    }
    *r = (struct region){m, map_bytes, start, bytes};
    fprintf(out, "{\"ok\":true,\"start\":\"0x%lx\",\"end\":\"0x%lx\"}\n", (unsigned long)start,
            (unsigned long)(start + bytes));
  } else if (!strcmp(verb, "mapfile")) {
    /* mapfile SLOT PATH: the file, read-only and private, as a program maps its data files. */
    struct region *r = slot(strsep(&rest, " "));
    if (!r || r->map || !rest) {
      errno = EINVAL;
      reply_error("mapfile");
      return;
    }
    int fd = open(rest, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      reply_error("open");
      if (fd >= 0) close(fd);
      return;
    }
    char *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
      reply_error("mmap");
      return;
    }
    *r = (struct region){m, (size_t)st.st_size, m, (size_t)st.st_size};
    fprintf(out, "{\"ok\":true,\"start\":\"0x%lx\",\"end\":\"0x%lx\"}\n", (unsigned long)m,
            (unsigned long)(m + st.st_size));
  } else if (!strcmp(verb, "touch") || !strcmp(verb, "read")) {
    /* touch SLOT [OFFSET LENGTH] writes a byte to each page; read SLOT reads one from each. */
    struct region *r = slot(strsep(&rest, " "));
    if (!r || !r->map) {
      errno = EINVAL;
      reply_error(verb);
      return;
    }
    size_t off = rest ? strtoull(strsep(&rest, " "), NULL, 10) : 0;
    size_t len = rest ? strtoull(rest, NULL, 10) : r->bytes - off;
    if (off > r->bytes || len > r->bytes - off) {
      errno = ERANGE;
      reply_error(verb);
      return;
    }
    unsigned long sum = 0;
    if (verb[0] == 't') touch(r->start + off, len);
    else sum = read_pages(r->start + off, len);
    fprintf(out, "{\"ok\":true,\"pages\":%zu,\"sum\":%lu}\n", (len + page - 1) / page, sum);
  } else if (!strcmp(verb, "madvise")) {
    struct region *r = slot(strsep(&rest, " "));
    int a = rest ? advice(rest) : -1;
    if (!r || !r->map || a < 0) {
      errno = EINVAL;
      reply_error("madvise");
      return;
    }
    if (madvise(r->start, r->bytes, a) != 0) {
      reply_error("madvise");
      return;
    }
    fputs("{\"ok\":true}\n", out);
  } else if (!strcmp(verb, "unmap")) {
    struct region *r = slot(rest ?: "-1");
    if (!r || !r->map) {
      errno = EINVAL;
      reply_error("unmap");
      return;
    }
    munmap(r->map, r->map_bytes);
    *r = (struct region){0};
    fputs("{\"ok\":true}\n", out);
  } else if (!strcmp(verb, "mkfile")) {
    /* mkfile BYTES PATH: writes the file, syncs it to disk, and asks the kernel to drop it from
     * the page cache (clean pages go at once). */
    size_t bytes = strtoull(strsep(&rest, " ") ?: "0", NULL, 10);
    if (!rest || bytes == 0) {
      errno = EINVAL;
      reply_error("mkfile");
      return;
    }
    int fd = open(rest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      reply_error("open");
      return;
    }
    char *buf = malloc(1 << 20);
    memset(buf, 'm', 1 << 20);
    for (size_t done = 0; done < bytes;) {
      size_t n = bytes - done < (1 << 20) ? bytes - done : (1 << 20);
      if (write(fd, buf, n) != (ssize_t)n) {
        reply_error("write");
        free(buf);
        close(fd);
        return;
      }
      done += n;
    }
    free(buf);
    if (fsync(fd) != 0) {
      reply_error("fsync");
      close(fd);
      return;
    }
    errno = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    if (errno != 0) {
      reply_error("posix_fadvise");
      return;
    }
    size_t pages = 0;
    long cached = resident_pages(rest, &pages);
    fprintf(out, "{\"ok\":true,\"pages\":%zu,\"cachedPages\":%ld}\n", pages, cached);
  } else if (!strcmp(verb, "evict")) {
    /* evict PATH: drops the file's clean pages from the page cache (pages still mapped stay). */
    int fd = rest ? open(rest, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0) {
      reply_error("open");
      return;
    }
    errno = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    if (errno != 0) {
      reply_error("posix_fadvise");
      return;
    }
    size_t pages = 0;
    long cached = resident_pages(rest, &pages);
    fprintf(out, "{\"ok\":true,\"pages\":%zu,\"cachedPages\":%ld}\n", pages, cached);
  } else if (!strcmp(verb, "cached")) {
    size_t pages = 0;
    long cached = rest ? resident_pages(rest, &pages) : -1;
    if (cached < 0) {
      reply_error("mincore");
      return;
    }
    fprintf(out, "{\"ok\":true,\"pages\":%zu,\"cachedPages\":%ld}\n", pages, cached);
  } else if (!strcmp(verb, "heap-alloc")) {
    /* heap-alloc BYTES BLOCK: malloc BYTES in blocks of BLOCK (below the mmap threshold, so
     * they come from the heap), write them, then one small block above them that stays. */
    size_t bytes = strtoull(strsep(&rest, " ") ?: "0", NULL, 10);
    size_t block = rest ? strtoull(rest, NULL, 10) : 0;
    if (blocks || bytes == 0 || block == 0) {
      errno = EINVAL;
      reply_error("heap-alloc");
      return;
    }
    nblocks = bytes / block;
    blocks = calloc(nblocks, sizeof *blocks);
    for (size_t i = 0; blocks && i < nblocks; i++) {
      blocks[i] = malloc(block);
      if (!blocks[i]) {
        reply_error("malloc");
        return;
      }
      memset(blocks[i], 1, block);
      if ((i + 1) * block % PROGRESS_EVERY == 0 && i + 1 < nblocks) progress((i + 1) * block, bytes);
    }
    /* Allocated last, so it sits at the top of the heap: free() cannot shrink the heap past it. */
    heap_guard = malloc(block);
    if (heap_guard) memset(heap_guard, 1, block);
    fprintf(out, "{\"ok\":true,\"blocks\":%zu}\n", nblocks);
  } else if (!strcmp(verb, "heap-free")) {
    for (size_t i = 0; i < nblocks; i++) free(blocks[i]);
    free(blocks);
    blocks = NULL;
    fprintf(out, "{\"ok\":true,\"blocks\":%zu}\n", nblocks);
    nblocks = 0;
  } else if (!strcmp(verb, "heap-trim")) {
#ifdef __GLIBC__
    int released = malloc_trim(0);
    fprintf(out, "{\"ok\":true,\"released\":%d}\n", released);
#else
    errno = ENOSYS;
    reply_error("malloc_trim");
#endif
  } else if (!strcmp(verb, "dlopen")) {
    /* dlopen PATH: loads a library and calls its memlens_lesson_touch(page), which reads it. */
    void *lib = rest ? dlopen(rest, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!lib) {
      fputs("{\"ok\":false,\"error\":", out);
      json_string(rest ? dlerror() : "dlopen needs a path");
      fputs("}\n", out);
      fflush(out);
      return;
    }
    unsigned long (*fn)(long) = (unsigned long (*)(long))dlsym(lib, "memlens_lesson_touch");
    if (!fn) {
      fprintf(out, "{\"ok\":false,\"error\":\"no memlens_lesson_touch in the library\"}\n");
      fflush(out);
      return;
    }
    fprintf(out, "{\"ok\":true,\"sum\":%lu}\n", fn((long)page));
  } else if (!strcmp(verb, "grow")) {
    /* grow BYTES STEP: maps and writes STEP more bytes at a time, reporting each; in a cgroup
     * with a limit this ends in an OOM kill. */
    size_t bytes = strtoull(strsep(&rest, " ") ?: "0", NULL, 10);
    size_t step = rest ? strtoull(rest, NULL, 10) : 0;
    if (bytes == 0 || step == 0) {
      errno = EINVAL;
      reply_error("grow");
      return;
    }
    for (size_t done = 0; done < bytes; done += step) {
      char *m = mmap(NULL, step, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) {
        reply_error("mmap");
        return;
      }
      madvise(m, step, MADV_NOHUGEPAGE);
      for (size_t off = 0; off < step; off += page) m[off] = 1;
      progress(done + step, bytes);
    }
    fputs("{\"ok\":true}\n", out);
  } else if (!strcmp(verb, "ping")) {
    fprintf(out, "{\"ok\":true,\"pid\":%d}\n", (int)getpid());
  } else if (!strcmp(verb, "fork")) {
    do_fork();
  } else if (!strcmp(verb, "child")) {
    relay(rest ?: "");
  } else if (!strcmp(verb, "child-exit")) {
    child_exit();
  } else if (!strcmp(verb, "exit")) {
    fputs("{\"ok\":true}\n", out);
    fflush(out);
    exit(0);
  } else {
    errno = EINVAL;
    reply_error(verb);
    return;
  }
  fflush(out);
}

int main(void) {
  out = stdout;
  page = (size_t)sysconf(_SC_PAGESIZE);
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) return 1;
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
#ifdef __GLIBC__
  const char *libc = "glibc";
#else
  const char *libc = "other";
#endif
  printf("{\"ok\":true,\"pid\":%d,\"pageSize\":%zu,\"libc\":\"%s\"}\n", (int)getpid(), page, libc);
  fflush(stdout);
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, stdin) > 0) command(line);
  return 0;
}
`;

/**
 * The library of the shared-libs demo: LESSON_BYTES of read-only data (-D at build time; the
 * non-zero initialiser puts it in .rodata, in the file, rather than in .bss) and a function that
 * reads one byte of each page, as code reads its tables.
 */
export const LESSON_LIBRARY_SOURCE = `#include <stddef.h>
static const unsigned char table[LESSON_BYTES] = {1};
unsigned long memlens_lesson_touch(long page) {
  unsigned long sum = 0;
  for (size_t off = 0; off < LESSON_BYTES; off += (size_t)page) sum += ((const volatile unsigned char *)table)[off];
  return sum;
}
`;
