// Where a memlens command spends its time: runs it once under `node --cpu-prof` (stdout to
// /dev/null) and sums the profile's self time by function and by area (a memlens file, an npm
// package, Node's internals, the garbage collector).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProfileSummary {
  command: string;
  /** Sampled time, idle excluded. */
  totalMs: number;
  areas: { name: string; selfMs: number; percent: number }[];
  functions: { name: string; where: string; selfMs: number; percent: number }[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** A memlens file (dist/procfs/smaps.js), an npm package, node:internal, or V8's own entries. */
function areaOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  const dist = /\/dist\/(.+)$/.exec(url);
  if (dist) return `memlens ${dist[1]}`;
  return url.replace(/^file:\/\//, '');
}

function whereOf(url: string, line: number): string {
  if (url === '') return '';
  const short = url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
  return `${short}:${line + 1}`;
}

export function summarizeProfile(command: string, profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fnTime = new Map<string, { name: string; where: string; area: string; us: number }>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    totalUs += us;
    const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}`;
    let entry = fnTime.get(key);
    if (!entry) {
      entry = {
        name: frame.functionName || '(anonymous)',
        where: whereOf(frame.url, frame.lineNumber),
        area: areaOf(frame.url, frame.functionName),
        us: 0,
      };
      fnTime.set(key, entry);
    }
    entry.us += us;
  });
  const areaTime = new Map<string, number>();
  for (const f of fnTime.values()) areaTime.set(f.area, (areaTime.get(f.area) ?? 0) + f.us);
  const pct = (us: number) => (totalUs === 0 ? 0 : (100 * us) / totalUs);
  return {
    command,
    totalMs: totalUs / 1000,
    areas: [...areaTime]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, percent: pct(us) })),
    functions: [...fnTime.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, percent: pct(f.us) })),
  };
}

/** Runs `node --cpu-prof <args>` once and summarizes it; null (with the reason printed) if it failed. */
export function profileCommand(args: string[], timeoutMs = 120_000): ProfileSummary | null {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-bench-prof-'));
  const devNull = openSync('/dev/null', 'w');
  try {
    const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...args], {
      stdio: ['ignore', devNull, 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (r.status !== 0 || !file) {
      process.stderr.write(
        `profile of ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.toString()}\n`,
      );
      return null;
    }
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    return summarizeProfile(`node ${args.join(' ')}`, profile);
  } finally {
    closeSync(devNull);
    rmSync(dir, { recursive: true, force: true });
  }
}
