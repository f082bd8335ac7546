// The numbers a demo shows, read through the project's readers (collect/ and procfs/): the lab
// never parses a kernel file itself.
import { type ProcessSample, readProcess } from '../collect/process.js';
import type { ProcFs } from '../procfs/fs.js';
import { emptyFigures, type Region, type RegionFigures } from '../procfs/smaps.js';

/** One process now: status, stat, every smaps region and their rollup, oom_score. */
export function sampleProcess(fs: ProcFs, pid: number): ProcessSample {
  return readProcess(fs, pid, { smaps: true, oom: true });
}

/** The mapping that starts at `start` (a hex address from the helper), or null. */
export function regionAt(sample: ProcessSample, start: string): Region | null {
  const address = BigInt(start);
  return sample.smaps?.regions.find((r) => r.start === address) ?? null;
}

/** The figures of every mapping of `path` (a library's segments), added up. */
export function figuresOfPath(sample: ProcessSample, path: string): RegionFigures {
  const sum = emptyFigures();
  for (const r of sample.smaps?.regions ?? []) {
    if (r.path !== path) continue;
    for (const key of Object.keys(sum) as (keyof RegionFigures)[]) sum[key] += r[key];
  }
  return sum;
}

/** The C library's mappings: the path of libc.so.6 (glibc) or ld-musl, when mapped. */
export function libcPath(sample: ProcessSample): string | null {
  const r = sample.smaps?.regions.find((x) => /\/(libc\.so[^/]*|libc-[\d.]+\.so|ld-musl[^/]*)$/.test(x.path));
  return r?.path ?? null;
}

/** The AnonHugePages of the whole process (smaps_rollup's figure, summed from smaps). */
export function anonHugeBytes(sample: ProcessSample): number | null {
  return sample.rollup?.anonHugePagesBytes ?? null;
}
