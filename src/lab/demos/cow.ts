// cow: copy-on-write after a real fork(2). The parent holds memory it has written; after the fork
// both processes map the same pages (PSS halves, Shared_Dirty appears); the child's writes copy
// pages one at a time (Private_Dirty grows page by page); when the child exits, PSS comes back.
import { formatBytes } from '../../analysis/format.js';
import type { ProcessSample } from '../../collect/process.js';
import type { Region } from '../../procfs/smaps.js';
import { exactly, type ReadingBuilder, reading, within } from '../expect.js';
import { type Demo, MiB } from '../lab.js';
import { regionAt } from '../measure.js';

type Figure = 'rssBytes' | 'pssBytes' | 'sharedDirtyBytes' | 'privateDirtyBytes';
const SMAPS_KEY: Record<Figure, string> = {
  rssBytes: 'Rss',
  pssBytes: 'Pss',
  sharedDirtyBytes: 'Shared_Dirty',
  privateDirtyBytes: 'Private_Dirty',
};

export const cow: Demo = {
  name: 'cow',
  title: 'after fork(2), parent and child share every page until one of them writes it',
  intro:
    'A helper process (a small C program memlens builds) writes a block of memory, then really ' +
    'forks, as a Redis BGSAVE or a pre-fork web server does. The figures are those of that block ' +
    "alone, from each process's /proc/PID/smaps.",
  sizeMeans: 'the memory the parent holds (default 64M)',
  defaultSize: 64 * MiB,
  minSize: 1 * MiB,
  // Parent and child together, after the child copied a quarter.
  memoryNeeded: (size) => size * 1.25,
  async run(lab) {
    const size = lab.size;
    const h = await lab.startHelper('parent');
    const page = h.pageSize;
    const parent = h.pid;
    const { start } = (await h.send(`map 0 ${size} 1`)) as { start: string };
    // Huge pages would be copied 2 MiB at a time (or split): the lesson is page by page.
    await h.send('madvise 0 nohuge');

    const region = (s: ProcessSample | null): Region | null => (s ? regionAt(s, start) : null);
    const fig = (
      who: string,
      pid: number,
      figure: Figure,
      before: ProcessSample | null,
      after: ProcessSample | null,
    ): ReadingBuilder =>
      reading(
        `${who}${figure[0]?.toUpperCase()}${figure.slice(1)}`,
        `${who} ${SMAPS_KEY[figure]}`,
        'bytes',
        `/proc/${pid}/smaps ${SMAPS_KEY[figure]}`,
        pid,
        region(before)?.[figure] ?? null,
        region(after)?.[figure] ?? null,
      );
    const tight = (bytes: number) => within(bytes, { relative: 0.01, absolute: 4 * page });

    const p0 = lab.sample(parent);
    await h.send('touch 0', lab.progress(`writing ${formatBytes(size)}`));
    const p1 = lab.sample(parent);
    await lab.step(
      `the parent writes every page of ${formatBytes(size)} it mapped`,
      'Every page was written by this process alone: all of it is private (Private_Dirty), and PSS equals RSS.',
      [
        fig('parent', parent, 'rssBytes', p0, p1).change(tight(size)),
        fig('parent', parent, 'pssBytes', p0, p1).change(tight(size)),
        fig('parent', parent, 'privateDirtyBytes', p0, p1).change(tight(size)),
        fig('parent', parent, 'sharedDirtyBytes', p0, p1).after(exactly(0)),
      ],
      { pids: [parent] },
    );

    const { childPid } = (await h.send('fork')) as { childPid: number };
    const forked = lab.addForked(h, 'child', childPid);
    // The child's first commands write its own stack and stdio buffers (copies too): a write of
    // no bytes does that now, so that the counts below are of the block alone.
    await h.send('child touch 0 0 0');
    const p2 = lab.sample(parent);
    const c2 = lab.sample(childPid);
    await lab.step(
      'fork(): the child gets the same memory, and no page is copied',
      'Both processes map the same physical pages, marked read-only: RSS counts them in full in each, ' +
        'PSS gives each process half, and Shared_Dirty shows they are shared. Together they still use ' +
        `${formatBytes(size)}.`,
      [
        reading(
          'parentVmRssBytes',
          'parent VmRSS (process)',
          'bytes',
          `/proc/${parent}/status VmRSS`,
          parent,
          p1.rssBytes,
          p2.rssBytes,
        ).change(within(0, { absolute: 256 * 1024 })),
        fig('parent', parent, 'pssBytes', p1, p2).change(tight(-size / 2)),
        fig('parent', parent, 'sharedDirtyBytes', p1, p2).change(tight(size)),
        fig('parent', parent, 'privateDirtyBytes', p1, p2).after(tight(0)),
        fig('child', childPid, 'rssBytes', null, c2).after(tight(size)),
        fig('child', childPid, 'pssBytes', null, c2).after(tight(size / 2)),
        fig('child', childPid, 'sharedDirtyBytes', null, c2).after(tight(size)),
        reading(
          'pssTotalBytes',
          'parent + child Pss',
          'bytes',
          'the two Pss above',
          null,
          region(p1)?.pssBytes ?? null,
          sum(region(p2)?.pssBytes, region(c2)?.pssBytes),
        ).after(tight(size)),
      ],
      { pids: [parent, childPid] },
    );

    await h.send(`child touch 0 0 ${page}`);
    const p3 = lab.sample(parent);
    const c3 = lab.sample(childPid);
    await lab.step(
      'the child writes one byte of the first page',
      'The write faults (a minor fault); the kernel copies that one page for the child. It is now ' +
        'private in both processes: one page moved from Shared_Dirty to Private_Dirty on each side.',
      [
        fig('child', childPid, 'privateDirtyBytes', c2, c3).change(exactly(page)),
        fig('child', childPid, 'sharedDirtyBytes', c2, c3).change(exactly(-page)),
        fig('parent', parent, 'privateDirtyBytes', p2, p3).change(exactly(page)),
        reading(
          'childMinorFaults',
          'child minor faults',
          'count',
          `/proc/${childPid}/stat minflt`,
          childPid,
          c2.minorFaults,
          c3.minorFaults,
        ).change(within(1, { absolute: 2 }, 'count')),
      ],
      { pids: [parent, childPid] },
    );

    const quarter = Math.max(page, Math.floor(size / 4 / page) * page);
    const written = page + quarter;
    await h.send(
      `child touch 0 ${page} ${quarter}`,
      lab.progress(`the child writes ${formatBytes(quarter)}`),
    );
    const p4 = lab.sample(parent);
    const c4 = lab.sample(childPid);
    const shared = size - written;
    await lab.step(
      `the child writes the next ${formatBytes(quarter)}, page by page`,
      `One minor fault and one copied page per page written. PSS is now the private part plus half the shared part (${formatBytes(written)} + ${formatBytes(shared)} / 2), and the two together use ${formatBytes(size + written)}.`,
      [
        fig('child', childPid, 'privateDirtyBytes', c3, c4).change(tight(quarter)),
        reading(
          'childMinorFaults',
          'child minor faults',
          'count',
          `/proc/${childPid}/stat minflt`,
          childPid,
          c3.minorFaults,
          c4.minorFaults,
        ).change(within(quarter / page, { relative: 0.01, absolute: 4 }, 'count')),
        fig('parent', parent, 'pssBytes', p3, p4).after(tight(written + shared / 2)),
        fig('child', childPid, 'pssBytes', c3, c4).after(tight(written + shared / 2)),
        reading(
          'pssTotalBytes',
          'parent + child Pss',
          'bytes',
          'the two Pss above',
          null,
          sum(region(p3)?.pssBytes, region(c3)?.pssBytes),
          sum(region(p4)?.pssBytes, region(c4)?.pssBytes),
        ).after(tight(size + written)),
      ],
      { pids: [parent, childPid] },
    );

    await h.send('child-exit');
    forked.dismiss();
    const p5 = lab.sample(parent);
    await lab.step(
      'the child exits',
      "The child's copies are freed and the parent is again the only user of its pages: its PSS comes back to RSS, and nothing is shared.",
      [
        fig('parent', parent, 'pssBytes', p4, p5).after(tight(size)),
        fig('parent', parent, 'privateDirtyBytes', p4, p5).after(tight(size)),
        fig('parent', parent, 'sharedDirtyBytes', p4, p5).after(exactly(0)),
      ],
      { pids: [parent] },
    );
  },
};

function sum(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined ? null : a + b;
}
