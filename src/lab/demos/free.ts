// free: memory a program frees is not always given back. glibc's malloc keeps freed heap blocks
// (RSS stays) until malloc_trim; MADV_DONTNEED returns pages at once; MADV_FREE only marks them
// (LazyFree, still in RSS) until the kernel needs the memory, shown under a cgroup limit as root.
import { formatBytes } from '../../analysis/format.js';
import type { ProcessSample } from '../../collect/process.js';
import { cgroupUnavailable, createLabCgroup, type LabCgroup } from '../cgroup.js';
import type { ReadingBuilder } from '../expect.js';
import { atMost, type Check, reading, within } from '../expect.js';
import { type Demo, MiB } from '../lab.js';
import { figuresOfPath, regionAt } from '../measure.js';

/** Blocks below glibc's mmap threshold (128 KiB), so that they come from the heap (brk). */
const BLOCK = 4096;

export const free: Demo = {
  name: 'free',
  title: 'freed memory is not always given back to the kernel',
  intro:
    'A helper process (a small C program memlens builds) allocates and frees memory the ways ' +
    'allocators and garbage collectors do. RSS tells whether the kernel got the pages back. Go ' +
    'returned memory with MADV_FREE from 1.12 to 1.15 (RSS looked high after a GC) and with ' +
    'MADV_DONTNEED again since 1.16.',
  sizeMeans: 'the memory allocated and freed (default 64M)',
  defaultSize: 64 * MiB,
  minSize: 1 * MiB,
  memoryNeeded: (size) => size * 2,
  async run(lab) {
    const size = lab.size;
    // As root, the helper lives in a cgroup of its own, so that the last step can squeeze it. The
    // cgroup comes first: cleanups run newest first, and a cgroup can go only once its tasks have.
    let cg: LabCgroup | null = null;
    const noCgroup = cgroupUnavailable(lab.fs, 'free');
    if (noCgroup === null) {
      cg = createLabCgroup(lab.fs, lab.cleanups, 'free');
      lab.addCgroup(cg.path);
    }
    const h = await lab.startHelper();
    const pid = h.pid;
    const page = h.pageSize;
    const glibc = h.libc === 'glibc';
    cg?.add(pid);

    const near = (bytes: number): Check => within(bytes, { relative: 0.02, absolute: 512 * 1024 });
    const rss = (a: ProcessSample, b: ProcessSample) =>
      reading('rssBytes', 'RSS', 'bytes', `/proc/${pid}/status VmRSS`, pid, a.rssBytes, b.rssBytes);
    const heap = (a: ProcessSample, b: ProcessSample) =>
      reading(
        'heapRssBytes',
        '[heap] Rss',
        'bytes',
        `/proc/${pid}/smaps [heap] Rss`,
        pid,
        figuresOfPath(a, '[heap]').rssBytes,
        figuresOfPath(b, '[heap]').rssBytes,
      );
    const lazy = (a: ProcessSample, b: ProcessSample) =>
      reading(
        'lazyFreeBytes',
        'LazyFree',
        'bytes',
        `/proc/${pid}/smaps_rollup LazyFree`,
        pid,
        a.lazyFreeBytes,
        b.lazyFreeBytes,
      );
    /** Expectations about glibc's malloc hold for glibc only: elsewhere the numbers are shown. */
    const ifGlibc = (r: ReadingBuilder, check: Check) => (glibc ? r.change(check) : r);
    const allocatorNote = glibc
      ? []
      : [`This helper's C library is not glibc: its allocator keeps and returns memory its own way.`];

    const s0 = lab.sample(pid);
    await h.send(`heap-alloc ${size} ${BLOCK}`, lab.progress(`malloc ${formatBytes(size)}`));
    const s1 = lab.sample(pid);
    await lab.step(
      `malloc ${formatBytes(size)} in ${(size / BLOCK).toLocaleString('en-US')} blocks of ${formatBytes(BLOCK)}, write them, and one more block`,
      'Small blocks come from the heap, which malloc grows with brk(2): RSS rises as the blocks are written.',
      [ifGlibc(rss(s0, s1), near(size)), ifGlibc(heap(s0, s1), near(size))],
      { notes: allocatorNote, pids: [pid] },
    );

    await h.send('heap-free');
    const s2 = lab.sample(pid);
    await lab.step(
      `free() all the ${formatBytes(size)} of blocks but the last one`,
      'free() hands the blocks back to malloc, not to the kernel. The heap can only shrink from its top, ' +
        'where the last block is still in use, so the pages stay resident, kept for the next malloc.',
      [ifGlibc(rss(s1, s2), near(0)), ifGlibc(heap(s1, s2), near(0))],
      { pids: [pid] },
    );

    if (glibc) {
      await h.send('heap-trim');
      const s3 = lab.sample(pid);
      await lab.step(
        'malloc_trim(0)',
        "glibc's malloc_trim gives the whole pages inside free blocks back to the kernel (MADV_DONTNEED), " +
          'even below the top of the heap. The heap keeps its addresses: VIRT does not change.',
        [
          rss(s2, s3).change(near(-size)),
          heap(s2, s3).change(near(-size)),
          reading(
            'vszBytes',
            'VIRT',
            'bytes',
            `/proc/${pid}/status VmSize`,
            pid,
            s2.vszBytes,
            s3.vszBytes,
          ).change(within(0, { absolute: 256 * 1024 })),
        ],
        { pids: [pid] },
      );
    }

    const { start } = (await h.send(`map 1 ${size} 1`)) as { start: string };
    await h.send('madvise 1 nohuge');
    const region = (a: ProcessSample, b: ProcessSample, figure: 'rssBytes' | 'lazyFreeBytes') =>
      reading(
        figure === 'rssBytes' ? 'regionRssBytes' : 'regionLazyFreeBytes',
        figure === 'rssBytes' ? 'block Rss' : 'block LazyFree',
        'bytes',
        `/proc/${pid}/smaps ${figure === 'rssBytes' ? 'Rss' : 'LazyFree'}`,
        pid,
        regionAt(a, start)?.[figure] ?? null,
        regionAt(b, start)?.[figure] ?? null,
      );
    const s4 = lab.sample(pid);
    await h.send('touch 1', lab.progress(`writing ${formatBytes(size)}`));
    const s5 = lab.sample(pid);
    await lab.step(
      `mmap ${formatBytes(size)} and write every page`,
      'Large allocations (malloc above 128 KiB, Go and JVM heaps) are mappings of their own, handed back page by page with madvise(2).',
      [rss(s4, s5).change(near(size)), region(s4, s5, 'rssBytes').change(near(size))],
      { pids: [pid] },
    );

    await h.send('madvise 1 dontneed');
    const s6 = lab.sample(pid);
    await lab.step(
      'madvise(MADV_DONTNEED) on it',
      'The kernel frees the pages at once: RSS falls now. The mapping stays; touching it again gives ' +
        'fresh zero-filled pages, a minor fault each.',
      [
        rss(s5, s6).change(near(-size)),
        region(s5, s6, 'rssBytes').after(within(0, { absolute: 4 * page })),
        lazy(s5, s6).change(near(0)),
      ],
      { pids: [pid] },
    );

    await h.send('touch 1', lab.progress(`writing ${formatBytes(size)}`));
    const s7 = lab.sample(pid);
    await h.send('madvise 1 free');
    const s8 = lab.sample(pid);
    await lab.step(
      'write every page again, then madvise(MADV_FREE) on it',
      'MADV_FREE only marks the pages as free to take: they stay in RSS, counted as LazyFree, until the ' +
        'kernel needs memory (or the program writes them again, and keeps them).',
      [
        rss(s7, s8).change(near(0)),
        lazy(s7, s8).change(near(size)),
        region(s7, s8, 'lazyFreeBytes').change(near(size)),
      ],
      { pids: [pid] },
    );

    if (!cg) {
      lab.note(`Not shown: the kernel taking LazyFree pages back under memory pressure (${noCgroup ?? ''}).`);
      return;
    }
    const g0 = cg.read();
    const s9 = lab.sample(pid);
    const lazyNow = s9.lazyFreeBytes ?? 0;
    // What the cgroup holds besides the LazyFree pages: all of them have to go (the kernel may
    // take a few other pages instead of the last of them).
    const target = (g0.usageBytes ?? 0) - lazyNow;
    const squeezed = cg.tryLimit(target);
    const g1 = cg.read();
    const s10 = lab.sample(pid);
    await lab.step(
      `lower the limit of the helper's memory cgroup to ${formatBytes(target)}, below what it holds`,
      'Under pressure the kernel reclaims LazyFree pages first, without writing them anywhere: they were ' +
        'free all along. Only now does RSS fall.',
      [
        rss(s9, s10).change(near(-lazyNow)),
        lazy(s9, s10).after(atMost(Math.max(256 * 1024, lazyNow * 0.02), 'bytes')),
        reading(
          'cgroupUsageBytes',
          'cgroup usage',
          'bytes',
          `${cg.folder}/memory.${cg.version === 1 ? 'usage_in_bytes' : 'current'}`,
          null,
          g0.usageBytes,
          g1.usageBytes,
        ),
      ],
      {
        notes: squeezed
          ? []
          : ['The kernel refused the limit (EBUSY): it could not reclaim enough below it.'],
        pids: [pid],
      },
    );
  },
};
