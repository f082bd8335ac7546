// Captures a fixture tree from real processes on this machine, for memlens's tests.
//
//   npx tsx scripts/capture-fixtures.ts --pid N [--pid M ...] --out test/fixtures/live/<scenario> [--note "..."]
//
// Writes, under OUT, the same paths the files have on the machine, so that memlens's readers can take
// OUT as their root:
//   proc/PID/{status,statm,stat,smaps,smaps_rollup,maps,oom_score,oom_score_adj,cmdline,comm,cgroup}
//   proc/{meminfo,vmstat,pressure/memory}
//   proc/self/mountinfo              cgroup and cgroup2 lines only: enough to find the cgroup mounts
//   sys/fs/cgroup/memory/<path>/...  the memory files of each pid's cgroup and of its ancestors (v1);
//                                    on a cgroup v2 machine, the memory.* files of the unified cgroup
//   MANIFEST.json                    { capturedAt, kernel, pageSize, pids, note, skipped }
//
// Safety: /proc/PID/environ is never read. Command lines are scrubbed: argv[0] keeps only the basename of
// its first word, and every other argument becomes "REDACTED" unless it is on the allow-list below.
// A file that cannot be read (permission denied, process gone, file missing on this kernel) is skipped
// with a warning and listed in the manifest. Plain node:fs on purpose: this tool must keep working
// while src/ changes, and must not trust the code whose tests it feeds.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const PER_PID_FILES = [
  'status',
  'statm',
  'stat',
  'smaps',
  'smaps_rollup',
  'maps',
  'oom_score',
  'oom_score_adj',
  'cmdline',
  'comm',
  'cgroup',
];
const MACHINE_FILES = ['meminfo', 'vmstat', 'pressure/memory'];
const CGROUP_V1_MEMORY_FILES = [
  'memory.limit_in_bytes',
  'memory.usage_in_bytes',
  'memory.stat',
  'memory.oom_control',
];
const CGROUP_V2_MEMORY_FILES = [
  'memory.max',
  'memory.high',
  'memory.current',
  'memory.stat',
  'memory.events',
  'memory.swap.max',
  'memory.swap.current',
  'memory.pressure',
];

/**
 * Arguments kept verbatim in a scrubbed command line: memory and GC switches of the runtimes memlens
 * explains, with numeric values only. Anything else (script paths, -e code, URLs, tokens, even flags
 * not listed) may carry a secret and becomes "REDACTED".
 */
export const CMDLINE_ALLOW_LIST: readonly RegExp[] = [
  // Node and V8 sizes, in MiB or bytes.
  /^--(max-old-space-size|max-semi-space-size|max-heap-size|initial-heap-size|stack-size|v8-pool-size|heapsnapshot-near-heap-limit)=\d+$/,
  // Node and V8 switches that change memory behaviour.
  /^--(expose-gc|jitless|optimize-for-size|single-threaded|no-opt|trace-gc)$/,
  // JVM heap and stack sizes: -Xmx512m, -Xss1m.
  /^-X(mx|ms|mn|ss)\d+[kKmMgGtT]?$/,
  // JVM -XX switches and numeric settings: -XX:+UseG1GC, -XX:MaxRAMPercentage=75.0.
  /^-XX:[+-][A-Za-z0-9]+$/,
  /^-XX:[A-Za-z0-9]+=\d+(\.\d+)?[kKmMgGtT%]?$/,
];

/** Scrubs a NUL-separated /proc/PID/cmdline, keeping its NUL layout. */
export function scrubCmdline(raw: string): string {
  if (raw === '') return raw; // kernel threads and zombies have none
  const args = raw.split('\0');
  const trailingNul = args.at(-1) === '';
  if (trailingNul) args.pop();
  const scrubbed = args.map((arg, i) => {
    // A process may rewrite argv[0] into a title ("postgres: user db 10.0.0.1 idle"): its first word only.
    if (i === 0) return basename(arg.split(' ')[0] ?? '');
    return CMDLINE_ALLOW_LIST.some((re) => re.test(arg)) ? arg : 'REDACTED';
  });
  return scrubbed.join('\0') + (trailingNul ? '\0' : '');
}

interface Skipped {
  path: string;
  reason: string;
}

const skipped: Skipped[] = [];

function readOrSkip(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    skipped.push({ path, reason: code });
    console.warn(`warning: skipped ${path} (${code})`);
    return null;
  }
}

function write(out: string, hostPath: string, content: Buffer | string): void {
  const target = join(out, hostPath);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
}

function copy(out: string, hostPath: string): boolean {
  const content = readOrSkip(hostPath);
  if (content === null) return false;
  write(out, hostPath, content);
  return true;
}

interface CgroupMount {
  root: string;
  mountPoint: string;
}

/**
 * The cgroup mounts from /proc/self/mountinfo: v1 hierarchies keyed by each controller they carry,
 * and the v2 one under "". Also returns the lines themselves, to store beside the fixture.
 */
function cgroupMounts(): { mounts: Map<string, CgroupMount>; lines: string[] } {
  const mounts = new Map<string, CgroupMount>();
  const lines: string[] = [];
  const text = readOrSkip('/proc/self/mountinfo')?.toString('utf8') ?? '';
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const [fsType, , superOptions = ''] = right.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    lines.push(line);
    const fields = left.split(' ');
    const mount = {
      root: unescapeMountinfo(fields[3] ?? '/'),
      mountPoint: unescapeMountinfo(fields[4] ?? ''),
    };
    if (fsType === 'cgroup2') mounts.set('', mount);
    else for (const option of superOptions.split(',')) mounts.set(option, mount);
  }
  return { mounts, lines };
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes (\040). */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Copies `files` from the cgroup `path` of `mount` and from each of its ancestors up to the mount's root. */
function copyCgroupFiles(out: string, mount: CgroupMount, path: string, files: readonly string[]): void {
  let relative = path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
  if (!relative.startsWith('/')) relative = `/${relative}`;
  // Ancestors too: a limit set higher up applies here, and readers walk up to find it.
  for (let dir = relative; ; dir = posix.dirname(dir)) {
    const hostDir = posix.join(mount.mountPoint, dir);
    for (const file of files) copy(out, posix.join(hostDir, file));
    if (dir === '/') break;
  }
}

/** On a hybrid machine memory is a v1 controller and the v2 tree has no memory.* files to copy. */
function v2HasMemoryController(mount: CgroupMount): boolean {
  try {
    const controllers = readFileSync(posix.join(mount.mountPoint, 'cgroup.controllers'), 'utf8');
    return controllers.trim().split(' ').includes('memory');
  } catch {
    return false;
  }
}

function copyCgroups(out: string, pid: number, mounts: Map<string, CgroupMount>): void {
  const text = readOrSkip(`/proc/${pid}/cgroup`)?.toString('utf8') ?? '';
  for (const line of text.split('\n')) {
    // hierarchy-ID:controller-list:path; the path itself may hold colons.
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, , controllers = '', path = '/'] = match;
    if (controllers.split(',').includes('memory')) {
      const mount = mounts.get('memory');
      if (mount) copyCgroupFiles(out, mount, path, CGROUP_V1_MEMORY_FILES);
    } else if (controllers === '') {
      const mount = mounts.get('');
      if (mount && v2HasMemoryController(mount)) copyCgroupFiles(out, mount, path, CGROUP_V2_MEMORY_FILES);
    }
  }
}

function capturePid(out: string, pid: number, mounts: Map<string, CgroupMount>): void {
  const startTime = readStartTime(pid);
  if (startTime === null) {
    console.warn(`warning: process ${pid} does not exist; nothing captured for it`);
    skipped.push({ path: `/proc/${pid}`, reason: 'no such process' });
    return;
  }
  for (const file of PER_PID_FILES) {
    const hostPath = `/proc/${pid}/${file}`;
    if (file === 'cmdline') {
      const raw = readOrSkip(hostPath);
      if (raw !== null) write(out, hostPath, scrubCmdline(raw.toString('utf8')));
    } else {
      copy(out, hostPath);
    }
  }
  copyCgroups(out, pid, mounts);
  // The same pid with another start time is another process: its files would mix two processes.
  if (readStartTime(pid) !== startTime) {
    console.warn(`warning: process ${pid} exited or was replaced during the capture; its files may be mixed`);
    skipped.push({ path: `/proc/${pid}`, reason: 'exited or replaced during the capture' });
  }
}

function readStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the comm before it may hold spaces and ')' so count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function pageSize(): number | null {
  try {
    return Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      pid: { type: 'string', multiple: true },
      out: { type: 'string' },
      note: { type: 'string' },
    },
  });
  const pids = (values.pid ?? []).map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`Invalid --pid "${p}": expected a process id`);
    return Number(p);
  });
  if (pids.length === 0 || !values.out) {
    console.error(
      'usage: npx tsx scripts/capture-fixtures.ts --pid N [--pid M ...] --out DIR [--note "..."]',
    );
    process.exit(2);
  }
  const out = values.out;

  const { mounts, lines } = cgroupMounts();
  write(out, '/proc/self/mountinfo', lines.length ? `${lines.join('\n')}\n` : '');
  for (const file of MACHINE_FILES) copy(out, `/proc/${file}`);
  for (const pid of pids) capturePid(out, pid, mounts);

  const manifest = {
    capturedAt: new Date().toISOString(),
    kernel: release(),
    pageSize: pageSize(),
    pids,
    note: values.note ?? null,
    skipped,
  };
  write(out, 'MANIFEST.json', `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`captured ${pids.length} process(es) into ${out}; ${skipped.length} file(s) skipped`);
}

// Run only as a script, so that scrubCmdline can be imported and tested on its own.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
