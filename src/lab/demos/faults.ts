// faults: minor against major page faults. A file not in the page cache is read through a mapping
// (one major fault per page: the process waited for the disk); read again from the cache (minor
// faults only); read with readahead (few major faults); then fresh anonymous memory (minor only).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes } from '../../analysis/format.js';
import type { ProcessSample } from '../../collect/process.js';
import { readMeminfo } from '../../procfs/meminfo.js';
import { readVmstat } from '../../procfs/vmstat.js';
import { atLeast, atMost, between, exactly, reading, within } from '../expect.js';
import type { Helper } from '../helper.js';
import { type Demo, type Lab, MiB } from '../lab.js';

interface Cached {
  pages: number;
  cachedPages: number;
}

/**
 * Drops the file from the page cache: posix_fadvise(DONTNEED) in the helper, and when pages stay
 * (some filesystems ignore the advice) and memlens is root, the whole machine's clean page cache
 * (vm.drop_caches = 1: harmless, but every program rereads its files from disk).
 */
async function evict(lab: Lab, h: Helper, file: string, notes: string[]): Promise<Cached> {
  let c = (await h.send(`evict ${file}`)) as unknown as Cached;
  if (c.cachedPages > c.pages / 100 && process.getuid?.() === 0) {
    writeFileSync(lab.fs.path('proc/sys/vm/drop_caches'), '1');
    c = (await h.send(`cached ${file}`)) as unknown as Cached;
    notes.push(
      'posix_fadvise left pages cached, so memlens (root) dropped the clean page cache (vm.drop_caches=1).',
    );
  }
  if (c.cachedPages > c.pages / 100) {
    notes.push(
      `${c.cachedPages} pages stayed in the page cache: the kernel did not drop them (a tmpfs, or pages in use). ` +
        'Those reads are minor faults.',
    );
  }
  return c;
}

export const faults: Demo = {
  name: 'faults',
  title: 'a major fault waits for the disk, a minor fault does not',
  intro:
    'A helper process (a small C program memlens builds) maps a file and reads it, first from the ' +
    'disk, then from the page cache, then touches fresh memory. The fault counters are its own, ' +
    'from /proc/PID/stat.',
  sizeMeans: 'the size of the file, and of the fresh memory (default 64M)',
  defaultSize: 64 * MiB,
  minSize: 1 * MiB,
  memoryNeeded: (size) => size * 2,
  async run(lab) {
    const size = lab.size;
    const dir = lab.tempDir();
    const file = join(dir, 'faults.bin');
    const h = await lab.startHelper();
    const pid = h.pid;
    const pages = size / h.pageSize;
    const few = 64;
    const stat = (field: string) => `/proc/${pid}/stat ${field}`;
    const minor = (a: ProcessSample, b: ProcessSample) =>
      reading('minorFaults', 'minor faults', 'count', stat('minflt'), pid, a.minorFaults, b.minorFaults);
    const major = (a: ProcessSample, b: ProcessSample) =>
      reading('majorFaults', 'major faults', 'count', stat('majflt'), pid, a.majorFaults, b.majorFaults);
    const rssFile = (a: ProcessSample, b: ProcessSample) =>
      reading(
        'rssFileBytes',
        'RssFile',
        'bytes',
        `/proc/${pid}/status RssFile`,
        pid,
        a.rssFileBytes,
        b.rssFileBytes,
      );
    const cachedRow = (before: number | null, after: number) =>
      reading(
        'fileCachedPages',
        'file pages cached',
        'count',
        'mincore(2) in the helper',
        null,
        before,
        after,
      );

    const notes1: string[] = [];
    const m0 = readMeminfo(lab.fs).cachedBytes;
    await h.send(`mkfile ${size} ${file}`, lab.progress(`writing ${formatBytes(size)}`));
    const c1 = await evict(lab, h, file, notes1);
    const m1 = readMeminfo(lab.fs).cachedBytes;
    await lab.step(
      `write a ${formatBytes(size)} file, fsync it, and drop it from the page cache (posix_fadvise DONTNEED)`,
      'Once written to disk, the pages are clean: the kernel can drop them from the page cache at once, ' +
        'and the next access must read them from the disk again.',
      [
        cachedRow(null, c1.cachedPages).after(atMost(Math.floor(pages / 100))),
        reading('cachedBytes', 'page cache (machine)', 'bytes', '/proc/meminfo Cached', null, m0, m1),
      ],
      { notes: notes1, pids: [pid] },
    );

    const s1 = lab.sample(pid);
    const v1 = readVmstat(lab.fs).pgmajfault;
    await h.send(`mapfile 0 ${file}`);
    // Without readahead each fault reads exactly its own page.
    await h.send('madvise 0 random');
    await h.send('read 0', lab.progress(`reading ${formatBytes(size)} from disk`));
    const s2 = lab.sample(pid);
    const v2 = readVmstat(lab.fs).pgmajfault;
    await lab.step(
      `mmap the file and read one byte of each of its ${pages.toLocaleString('en-US')} pages, readahead off (MADV_RANDOM)`,
      'No page was in memory: each first read faulted and the process slept while the kernel read that page ' +
        'from the disk. That is a major fault. (read(2) into a buffer would not count: only faults on mapped memory do.)',
      [
        major(s1, s2).change(within(c1.pages - c1.cachedPages, { relative: 0.02, absolute: 2 }, 'count')),
        minor(s1, s2),
        rssFile(s1, s2).change(within(size, { relative: 0.01, absolute: 256 * 1024 })),
        reading(
          'pgmajfault',
          'major faults (machine)',
          'count',
          '/proc/vmstat pgmajfault',
          null,
          v1,
          v2,
        ).change(atLeast(Math.floor((c1.pages - c1.cachedPages) * 0.98))),
      ],
      { pids: [pid] },
    );

    await h.send('unmap 0');
    await h.send(`mapfile 0 ${file}`);
    await h.send('madvise 0 random');
    const s3 = lab.sample(pid);
    await h.send('read 0', lab.progress(`reading ${formatBytes(size)} from the page cache`));
    const s4 = lab.sample(pid);
    await lab.step(
      'unmap it, map it again and read every page again',
      'The pages are in the page cache now: a fault only has to map a page that is already in memory, a ' +
        'minor fault. Fewer faults than pages: on a fault the kernel also maps the cached pages around ' +
        'it (fault-around, 16 pages by default).',
      [
        major(s3, s4).change(exactly(0)),
        minor(s3, s4).change(between(1, pages + few)),
        rssFile(s3, s4).change(within(size, { relative: 0.01, absolute: 256 * 1024 })),
      ],
      { pids: [pid] },
    );

    await h.send('unmap 0');
    const notes5: string[] = [];
    const c5 = await evict(lab, h, file, notes5);
    await h.send(`mapfile 0 ${file}`);
    const s5 = lab.sample(pid);
    await h.send('read 0', lab.progress(`reading ${formatBytes(size)} with readahead`));
    const s6 = lab.sample(pid);
    const c6 = (await h.send(`cached ${file}`)) as unknown as Cached;
    await lab.step(
      'drop it from the cache again, and read it in order with readahead on (the default)',
      'The first fault reads the page and starts reading the pages after it; later faults find them in ' +
        'the cache, or being read, and are minor. Sequential reading of a mapped file costs few major faults.',
      [
        cachedRow(c5.cachedPages, c6.cachedPages).after(within(pages, { relative: 0.01 }, 'count')),
        major(s5, s6).change(between(1, Math.max(1, Math.ceil(pages / 8)))),
        minor(s5, s6),
      ],
      { notes: notes5, pids: [pid] },
    );

    await h.send('unmap 0');
    await h.send(`map 1 ${size} 1`);
    await h.send('madvise 1 nohuge');
    const s7 = lab.sample(pid);
    await h.send('touch 1', lab.progress(`touching ${formatBytes(size)}`));
    const s8 = lab.sample(pid);
    await lab.step(
      `write one byte to each page of ${formatBytes(size)} of fresh anonymous memory`,
      'Anonymous memory has no file behind it: its first touch needs only a zeroed page, so it is always ' +
        'a minor fault, one per page.',
      [
        major(s7, s8).change(exactly(0)),
        minor(s7, s8).change(within(pages, { relative: 0.01, absolute: few }, 'count')),
        reading(
          'rssAnonBytes',
          'RssAnon',
          'bytes',
          `/proc/${pid}/status RssAnon`,
          pid,
          s7.rssAnonBytes,
          s8.rssAnonBytes,
        ).change(within(size, { relative: 0.01, absolute: 256 * 1024 })),
      ],
      { pids: [pid] },
    );
  },
};
