// shared-libs: N copies of one program load the same shared library. Each copy's RSS counts the
// library's pages in full; PSS divides them among the copies, so the PSS total is the real total.
// The library is built for the demo (its size is --size), so that no other process shares it and
// every share is exact; libc, shared with the whole machine, is shown beside it.
import { join } from 'node:path';
import { formatBytes } from '../../analysis/format.js';
import type { ProcessSample } from '../../collect/process.js';
import { compile } from '../build.js';
import { reading, within } from '../expect.js';
import type { Helper } from '../helper.js';
import { type Demo, MiB } from '../lab.js';
import { figuresOfPath, libcPath } from '../measure.js';
import { LESSON_LIBRARY_SOURCE } from '../sources.js';

const COPIES = 4;

export const sharedLibs: Demo = {
  name: 'shared-libs',
  title: 'RSS counts shared library pages in every process, PSS divides them',
  intro:
    `memlens builds a shared library holding --size bytes of read-only data, then starts ${COPIES} ` +
    'copies of its helper program, each of which loads the library (dlopen) and reads all of it, as ' +
    'code reads its tables. The figures are those of the mappings of that library, from each ' +
    "copy's /proc/PID/smaps.",
  sizeMeans: 'the size of the library (default 32M)',
  defaultSize: 32 * MiB,
  minSize: 1 * MiB,
  memoryNeeded: (size) => size,
  async run(lab) {
    const size = lab.size;
    const dir = lab.tempDir();
    const library = join(dir, 'libmemlens-lesson.so');
    compile(
      'shared-libs',
      LESSON_LIBRARY_SOURCE,
      ['-O2', '-shared', '-fPIC', `-DLESSON_BYTES=${size}`],
      library,
    );

    const copies: Helper[] = [];
    const lib = (s: ProcessSample | undefined) => (s ? figuresOfPath(s, library) : null);
    // The library's headers, code and data add a few pages to its table.
    const near = (bytes: number) => within(bytes, { relative: 0.01, absolute: 128 * 1024 });
    const start = async (n: number) => {
      const h = await lab.startHelper(`copy ${n}`);
      await h.send(`dlopen ${library}`);
      copies.push(h);
    };
    const sampleAll = () => new Map(copies.map((h) => [h.pid, lab.sample(h.pid)]));
    const rows = (before: Map<number, ProcessSample>, after: Map<number, ProcessSample>, live: Helper[]) => {
      const share = size / live.length;
      const out = [];
      for (const h of live) {
        const label = `copy ${copies.indexOf(h) + 1}`;
        out.push(
          reading(
            'libraryRssBytes',
            `${label} library Rss`,
            'bytes',
            `/proc/${h.pid}/smaps Rss`,
            h.pid,
            lib(before.get(h.pid))?.rssBytes ?? null,
            lib(after.get(h.pid))?.rssBytes ?? null,
          ).after(near(size)),
          reading(
            'libraryPssBytes',
            `${label} library Pss`,
            'bytes',
            `/proc/${h.pid}/smaps Pss`,
            h.pid,
            lib(before.get(h.pid))?.pssBytes ?? null,
            lib(after.get(h.pid))?.pssBytes ?? null,
          ).after(within(share, { relative: 0.01, absolute: (128 * 1024) / live.length })),
        );
      }
      if (live.length === 1) return out;
      // Each sum is over the copies running at that time.
      const total = (m: Map<number, ProcessSample>, f: 'rssBytes' | 'pssBytes') => {
        let t = 0;
        for (const s of m.values()) t += figuresOfPath(s, library)[f];
        return t;
      };
      out.push(
        reading(
          'libraryRssTotalBytes',
          'sum of library Rss',
          'bytes',
          'the Rss of every copy',
          null,
          total(before, 'rssBytes'),
          total(after, 'rssBytes'),
        ).after(near(size * live.length)),
        reading(
          'libraryPssTotalBytes',
          'sum of library Pss',
          'bytes',
          'the Pss of every copy',
          null,
          total(before, 'pssBytes'),
          total(after, 'pssBytes'),
        ).after(near(size)),
      );
      return out;
    };
    const libcNote = (after: Map<number, ProcessSample>): string[] => {
      const first = copies[0] ? after.get(copies[0].pid) : undefined;
      const path = first ? libcPath(first) : null;
      if (!first || !path) return [];
      const f = figuresOfPath(first, path);
      return [
        `The C library is shared the same way, with every program on the machine: in copy 1, ${path} has ` +
          `Rss ${formatBytes(f.rssBytes)} but Pss ${formatBytes(f.pssBytes)}.`,
      ];
    };

    const s0 = new Map<number, ProcessSample>();
    await start(1);
    const s1 = sampleAll();
    await lab.step(
      `start copy 1; it loads the ${formatBytes(size)} library and reads every page`,
      'The library file is mapped, and its pages come into the page cache as they are read. With one ' +
        'user, the library counts in full in both RSS and PSS.',
      rows(s0, s1, copies),
      { pids: copies.map((h) => h.pid) },
    );

    for (let n = 2; n <= COPIES; n++) await start(n);
    const s2 = sampleAll();
    await lab.step(
      `start ${COPIES - 1} more copies of the same program; each loads and reads the same library`,
      `Every copy maps the same pages of the page cache: each RSS counts all ${formatBytes(size)}, so ` +
        `the RSS add up to ${formatBytes(size * COPIES)}; PSS gives each copy an equal share, and the PSS ` +
        `add up to the ${formatBytes(size)} really used. This is why adding up RSS overstates.`,
      rows(s1, s2, copies),
      { notes: libcNote(s2), pids: copies.map((h) => h.pid) },
    );

    const last = copies[COPIES - 1] as Helper;
    await last.stop();
    const live = copies.slice(0, COPIES - 1);
    const s3 = new Map(live.map((h) => [h.pid, lab.sample(h.pid)]));
    await lab.step(
      `stop copy ${COPIES}`,
      `Nothing changed in the other copies, yet their PSS rose: the library's pages are now divided among ${COPIES - 1}. ` +
        'The PSS total is still the real total.',
      rows(s2, s3, live),
      { pids: live.map((h) => h.pid) },
    );
  },
};
