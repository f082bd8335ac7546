// What each kernel figure means, shown on hover wherever the figure appears.

export const TERMS = {
  virt: 'VIRT (VmSize): address space mapped. Mostly reservations that use no memory; not a measure of use.',
  rss: 'RSS (VmRSS): pages resident in RAM, shared ones counted in full by every process that maps them.',
  pss: 'PSS: RSS with each shared page divided among the processes sharing it; the sum over processes is real.',
  uss: 'USS: private pages (Private_Clean + Private_Dirty). What killing the process would free.',
  swap: 'Swap: the process’s pages in swap (VmSwap, or SwapPss where shared).',
  anon: 'RssAnon: resident anonymous memory (heap, stacks, private mappings).',
  file: 'RssFile: resident pages of mapped files (code, libraries, data files).',
  shmem: 'RssShmem: resident shared memory (tmpfs, memfd, System V shm). top’s SHR is RssFile + RssShmem.',
  memTotal: 'MemTotal: usable RAM.',
  memAvailable:
    'MemAvailable: the kernel’s estimate of memory that can be given to new work without swapping, page cache included.',
  inUse: 'MemTotal − MemAvailable: memory that cannot be freed without swapping or killing.',
  cached: 'Cached: page cache (file contents kept in RAM). Mostly reclaimable, so counted in MemAvailable.',
  swapUsed: 'SwapTotal − SwapFree.',
  psi: 'PSI (/proc/pressure/memory): share of time tasks stalled waiting for memory. "some": at least one task; "full": all tasks.',
  oomKills: 'oom_kill in /proc/vmstat: processes killed by the OOM killer since boot.',
  workingSet:
    'Working set (as Kubernetes counts it): cgroup usage − inactive_file. Crossing the limit with it means OOM.',
  usage: 'Cgroup usage: memory charged to the cgroup, page cache included.',
  headroom:
    'Limit − working set at the level that binds (the cgroup or an ancestor, whose working set counts its other children): how much more the cgroup can hold before the OOM killer acts.',
  minorFaults: 'Minor page faults per second: pages mapped without I/O (first touch, copy-on-write).',
  majorFaults: 'Major page faults per second: pages read from disk or swap. Sustained, they mean thrashing.',
  oomScore: 'oom_score: the kernel’s badness for this process (0–1000; higher dies first).',
  oomScoreAdj: 'oom_score_adj: the adjustment set for this process (−1000 exempts it).',
} as const;
