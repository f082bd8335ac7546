// reserve: VIRT is a promise, RSS is what was kept. mmap a large range (VIRT rises, RSS does not),
// write every page (RSS rises, one minor fault per page, or per huge page with THP), munmap it.
import { formatBytes } from '../../analysis/format.js';
import { atMost, reading, within } from '../expect.js';
import { type Demo, KiB, MiB } from '../lab.js';
import { anonHugeBytes } from '../measure.js';

export const reserve: Demo = {
  name: 'reserve',
  title: 'reserving address space costs no memory until the pages are touched',
  intro:
    'A program asks for a large block of memory, as the Go runtime or a JVM heap does, and uses ' +
    'it later. Node cannot call mmap(2) with flags itself, so memlens builds a small C helper and ' +
    "has it do each step; after each one memlens reads the helper's /proc files.",
  sizeMeans: 'the size reserved (default 500M)',
  defaultSize: 500 * MiB,
  minSize: 1 * MiB,
  memoryNeeded: (size) => size,
  async run(lab) {
    const size = lab.size;
    const h = await lab.startHelper();
    const pid = h.pid;
    const pages = size / h.pageSize;
    const status = (field: string) => `/proc/${pid}/status ${field}`;
    const minflt = `/proc/${pid}/stat minflt`;
    const huge = `/proc/${pid}/smaps AnonHugePages`;
    // The helper's own work between two readings (a reply, a read of stdin) costs a few faults.
    const fewFaults = 64;

    const s0 = lab.sample(pid);
    await h.send(`map 0 ${size} 0`);
    if (lab.options.thp) await h.send('madvise 0 huge');
    const s1 = lab.sample(pid);
    await lab.step(
      `mmap ${formatBytes(size)} of anonymous memory, touch no page${lab.options.thp ? ' (MADV_HUGEPAGE)' : ''}`,
      'mmap only reserves a range of addresses: no page of RAM backs it until the program touches it.',
      [
        reading('vszBytes', 'VIRT', 'bytes', status('VmSize'), pid, s0.vszBytes, s1.vszBytes).change(
          within(size, { absolute: 64 * KiB }),
        ),
        reading('rssBytes', 'RSS', 'bytes', status('VmRSS'), pid, s0.rssBytes, s1.rssBytes).change(
          within(0, { absolute: 256 * KiB }),
        ),
        reading('minorFaults', 'minor faults', 'count', minflt, pid, s0.minorFaults, s1.minorFaults).change(
          atMost(fewFaults),
        ),
      ],
      { pids: [pid] },
    );

    await h.send('touch 0', lab.progress(`touching ${formatBytes(size)}`));
    const s2 = lab.sample(pid);
    const hugeBefore = anonHugeBytes(s1) ?? 0;
    const hugeAfter = anonHugeBytes(s2);
    const hugeGained = Math.max(0, (hugeAfter ?? 0) - hugeBefore);
    // A huge page is one PMD entry: as many bytes as a page of page-table entries (8 bytes each)
    // maps: 2 MiB with 4 KiB pages.
    const pmd = (h.pageSize / 8) * h.pageSize;
    const expectedFaults = (size - hugeGained) / h.pageSize + hugeGained / pmd;
    const notes: string[] = [];
    if (hugeGained > 0) {
      notes.push(
        `${formatBytes(hugeGained)} of it came as transparent huge pages (AnonHugePages): one fault maps ` +
          `${formatBytes(pmd)} at once, so ${Math.round(expectedFaults).toLocaleString('en-US')} faults ` +
          `stood for ${pages.toLocaleString('en-US')} pages.`,
      );
    } else {
      notes.push(
        'No transparent huge pages here (AnonHugePages did not grow): one fault per page. ' +
          (lab.options.thp
            ? 'The kernel had no free 2 MiB blocks, or THP is off (/sys/kernel/mm/transparent_hugepage).'
            : 'Run with --thp to ask for them with MADV_HUGEPAGE.'),
      );
    }
    await lab.step(
      `write one byte to each of its ${pages.toLocaleString('en-US')} pages`,
      'The first touch of each page is a minor fault: the kernel takes a free page, zeroes it and maps ' +
        'it, with no disk involved. Now the memory is resident.',
      [
        reading('vszBytes', 'VIRT', 'bytes', status('VmSize'), pid, s1.vszBytes, s2.vszBytes).change(
          within(0, { absolute: 64 * KiB }),
        ),
        reading('rssBytes', 'RSS', 'bytes', status('VmRSS'), pid, s1.rssBytes, s2.rssBytes).change(
          within(size, { relative: 0.01, absolute: 256 * KiB }),
        ),
        reading('minorFaults', 'minor faults', 'count', minflt, pid, s1.minorFaults, s2.minorFaults).change(
          within(Math.round(expectedFaults), { relative: 0.01, absolute: fewFaults }, 'count'),
        ),
        reading(
          'majorFaults',
          'major faults',
          'count',
          `/proc/${pid}/stat majflt`,
          pid,
          s1.majorFaults,
          s2.majorFaults,
        ),
        reading('anonHugePagesBytes', 'AnonHugePages', 'bytes', huge, pid, hugeBefore, hugeAfter),
      ],
      { notes, pids: [pid] },
    );

    await h.send('unmap 0');
    const s3 = lab.sample(pid);
    await lab.step(
      `munmap the ${formatBytes(size)}`,
      'Unmapping gives the range and its pages back at once: both figures fall.',
      [
        reading('vszBytes', 'VIRT', 'bytes', status('VmSize'), pid, s2.vszBytes, s3.vszBytes).change(
          within(-size, { absolute: 64 * KiB }),
        ),
        reading('rssBytes', 'RSS', 'bytes', status('VmRSS'), pid, s2.rssBytes, s3.rssBytes).change(
          within(-size, { relative: 0.01, absolute: 256 * KiB }),
        ),
      ],
      { pids: [pid] },
    );
  },
};
