// /proc/PID/status: the process's identity and memory counters in readable form. man 5 proc_pid_status
//   Name:	prometheus
//   Tgid:	26231
//   Uid:	1000	1000	1000	0
//   VmRSS:	    6716 kB
//   Threads:	1
// Memory keys are absent for kernel threads (they have no mm), so they are null, never 0.
// Some captures align with spaces instead of a tab, and one starts with a blank line.

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';
import { optionalCount, optionalSize, parseKeyValues } from './kv.js';
import { parseSafeUint } from './numbers.js';

export interface Status {
  name: string;
  /** State letter: R, S, D, Z (zombie), T, t, X, I... */
  state: string | null;
  tgid: number | null;
  pid: number | null;
  ppid: number | null;
  /** Real, effective, saved and filesystem uid. */
  uids: number[];
  gids: number[];
  /** PIDs in each nested PID namespace, outermost first. */
  nsPids: number[];
  threads: number | null;
  vmPeakBytes: number | null;
  vmSizeBytes: number | null;
  vmLckBytes: number | null;
  vmPinBytes: number | null;
  vmHwmBytes: number | null;
  vmRssBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  rssShmemBytes: number | null;
  vmDataBytes: number | null;
  vmStkBytes: number | null;
  vmExeBytes: number | null;
  vmLibBytes: number | null;
  vmPteBytes: number | null;
  vmPmdBytes: number | null;
  vmSwapBytes: number | null;
  hugetlbPagesBytes: number | null;
  voluntaryCtxtSwitches: number | null;
  nonvoluntaryCtxtSwitches: number | null;
}

function idList(raw: string | undefined, path: string): number[] {
  if (raw === undefined || raw === '') return [];
  return raw.split(/\s+/).map((t) => parseSafeUint(t, path));
}

/** Parses /proc/PID/status text. */
export function parseStatus(text: string, path: string): Status {
  const kv = parseKeyValues(text, path);
  const name = kv.get('Name');
  if (name === undefined) throw new ProcParseError('missing Name', path);
  const state = kv.get('State');
  const size = (key: string) => optionalSize(kv, key, path);
  const count = (key: string) => optionalCount(kv, key, path);
  return {
    name,
    state: state === undefined ? null : state.charAt(0),
    tgid: count('Tgid'),
    pid: count('Pid'),
    ppid: count('PPid'),
    uids: idList(kv.get('Uid'), path),
    gids: idList(kv.get('Gid'), path),
    nsPids: idList(kv.get('NSpid'), path),
    threads: count('Threads'),
    vmPeakBytes: size('VmPeak'),
    vmSizeBytes: size('VmSize'),
    vmLckBytes: size('VmLck'),
    vmPinBytes: size('VmPin'),
    vmHwmBytes: size('VmHWM'),
    vmRssBytes: size('VmRSS'),
    rssAnonBytes: size('RssAnon'),
    rssFileBytes: size('RssFile'),
    rssShmemBytes: size('RssShmem'),
    vmDataBytes: size('VmData'),
    vmStkBytes: size('VmStk'),
    vmExeBytes: size('VmExe'),
    vmLibBytes: size('VmLib'),
    vmPteBytes: size('VmPTE'),
    vmPmdBytes: size('VmPMD'),
    vmSwapBytes: size('VmSwap'),
    hugetlbPagesBytes: size('HugetlbPages'),
    voluntaryCtxtSwitches: count('voluntary_ctxt_switches'),
    nonvoluntaryCtxtSwitches: count('nonvoluntary_ctxt_switches'),
  };
}

/** Reads /proc/PID/status. Readable by every user for every process. */
export function readStatus(fs: ProcFs, pid: number): Status {
  const rel = `proc/${pid}/status`;
  return parseStatus(fs.readText(rel, pid), fs.path(rel));
}
