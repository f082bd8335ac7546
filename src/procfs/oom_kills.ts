// The OOM killer's reports in the kernel log, as mm/oom_kill.c prints them
// (https://github.com/torvalds/linux/blob/master/mm/oom_kill.c, read via /dev/kmsg or dmesg):
//   node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
//   CPU: 1 UID: 0 PID: 13285 Comm: node Not tainted 6.18.44-fc-v769 #1 PREEMPT(none)
//   oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/memlens-probe,task_memcg=/memlens-probe,task=node,pid=13285,uid=0
//   Memory cgroup out of memory: Killed process 13285 (node) total-vm:754964kB, anon-rss:32000kB, file-rss:33424kB, shmem-rss:0kB, UID:0 pgtables:436kB oom_score_adj:0
// The formats changed over the years, and each field that an older kernel lacks is null:
// - the oom-kill: summary line exists since 4.19 (without it, no constraint, memcgs or uid);
// - "Killed process" had no "Out of memory: " prefix before 5.0; later 5.x kernels added UID,
//   pgtables and oom_score_adj; 3.x lacks shmem-rss.
// The global OOM killer writes "Out of memory: Killed process", constraint=CONSTRAINT_NONE and
// ",global_oom" where a memcg OOM has oom_memcg=. The header (invoked line, stack, summary) is
// rate-limited by the kernel, so a burst of kills can leave only "Killed process" lines.
// Everything else in the log is ignored: this never throws.

import type { KmsgRecord } from './kmsg.js';

export interface OomKill {
  /** When the kill was logged, ISO 8601; null when the boot time is unknown. */
  time: string | null;
  /** When the kill was logged, seconds since boot on the kernel's monotonic clock. */
  monotonicSec: number;
  pid: number;
  /** The victim's comm (at most 15 bytes; may hold spaces and parentheses). */
  name: string;
  uid: number | null;
  /** CONSTRAINT_NONE (global), CONSTRAINT_MEMCG, CONSTRAINT_CPUSET or CONSTRAINT_MEMORY_POLICY. */
  constraint: string | null;
  /** The memory cgroup that hit its limit (null for a global OOM). */
  oomMemcg: string | null;
  /** The victim's memory cgroup. */
  taskMemcg: string | null;
  totalVmBytes: number | null;
  anonRssBytes: number | null;
  fileRssBytes: number | null;
  shmemRssBytes: number | null;
  pageTablesBytes: number | null;
  oomScoreAdj: number | null;
  /**
   * The task whose allocation started the OOM killer (not always the victim): its comm and, from
   * the stack dump's "CPU: .. PID: N" line, its id. That is a thread's id and name when a thread
   * other than the main one allocated.
   */
  invokedBy: string | null;
  invokedByPid: number | null;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** `digits` matched -?\d+ already; null when it is beyond 2^53 (a corrupt log, not a kernel). */
function safeInt(digits: string): number | null {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

function kbToBytes(digits: string | undefined): number | null {
  if (digits === undefined) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) && n <= MAX_SAFE / 1024 ? n * 1024 : null;
}

/** Boot time + time since boot, as the wall clock read then (like `dmesg -T`, off after a suspend). */
function isoTime(bootTimeSec: number | null, usec: number): string | null {
  if (bootTimeSec === null) return null;
  const ms = Math.floor(bootTimeSec * 1000 + usec / 1000);
  // Date covers +-8.64e15 ms; beyond that toISOString throws.
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  return new Date(ms).toISOString();
}

// "Killed process" with the name in parentheses: the report ends with ") total-vm:", and since
// a name can hold ") total-vm:" itself (though not in 15 bytes), the last one ends it.
const KILLED = 'Killed process ';
const NAME_END = ') total-vm:';

interface KilledLine {
  pid: number;
  name: string;
  fields: Map<string, string>;
}

function parseKilledLine(message: string): KilledLine | null {
  const at = message.indexOf(KILLED);
  // Either the whole message (before 5.0) or after the reason: "Out of memory: ",
  // "Memory cgroup out of memory: ", "Out of memory (oom_kill_allocating_task): ".
  if (at === -1 || (at !== 0 && message.slice(at - 2, at) !== ': ')) return null;
  const rest = message.slice(at + KILLED.length);
  const m = /^(\d+) \(/.exec(rest);
  if (!m) return null;
  const pid = safeInt(m[1] as string);
  const end = rest.lastIndexOf(NAME_END);
  if (pid === null || end < m[0].length) return null;
  const fields = new Map<string, string>();
  // "total-vm:754964kB, anon-rss:32000kB, ..., UID:0 pgtables:436kB oom_score_adj:0"
  for (const token of rest.slice(end + 2).split(/[\s,]+/)) {
    const f = /^([A-Za-z_-]+):(-?\d+)(kB)?$/.exec(token);
    if (f) fields.set(f[1] as string, f[2] as string);
  }
  return { pid, name: rest.slice(m[0].length, end), fields };
}

interface SummaryLine {
  /** The text between "oom-kill:" and ",pid=", split once the victim's name is known. */
  head: string;
  uid: number | null;
}

function parseSummaryLine(message: string): { pid: number; line: SummaryLine } | null {
  if (!message.startsWith('oom-kill:')) return null;
  const body = message.slice('oom-kill:'.length);
  const tail = /,pid=(\d+)(?:,uid=(\d+))?$/.exec(body);
  if (!tail) return null;
  const pid = safeInt(tail[1] as string);
  if (pid === null) return null;
  const uid = tail[2] === undefined ? null : safeInt(tail[2]);
  return { pid, line: { head: body.slice(0, tail.index), uid } };
}

/**
 * Splits "constraint=..,nodemask=..,cpuset=..,mems_allowed=..[,oom_memcg=..][,task_memcg=..],task=NAME".
 * Only commas separate the fields, and node lists ("0-1,3"), cpuset and cgroup paths and the name
 * can all hold commas. The constraint comes first and never holds one; the rest is taken from the
 * end, using the victim's name as the Killed line gives it.
 */
function splitSummary(head: string, name: string | null) {
  const suffix = `,task=${name}`;
  let cut = name !== null && head.endsWith(suffix) ? head.length - suffix.length : head.lastIndexOf(',task=');
  let rest = cut === -1 ? head : head.slice(0, cut);
  let taskMemcg: string | null = null;
  let oomMemcg: string | null = null;
  cut = rest.lastIndexOf(',task_memcg=');
  if (cut !== -1) {
    taskMemcg = rest.slice(cut + ',task_memcg='.length);
    rest = rest.slice(0, cut);
  }
  cut = rest.lastIndexOf(',oom_memcg=');
  if (cut !== -1) oomMemcg = rest.slice(cut + ',oom_memcg='.length);
  const constraint = head.startsWith('constraint=')
    ? (head.slice('constraint='.length).split(',')[0] as string)
    : null;
  return { constraint: constraint === '' ? null : constraint, oomMemcg, taskMemcg };
}

const INVOKED = ' invoked oom-killer:';
// dump_stack()'s first line, right after "invoked oom-killer": the pid of the invoking task.
const CPU_LINE = /^CPU: \d+ (?:UID: \d+ )?PID: (\d+) Comm: /;

/**
 * Finds the OOM kills in kernel log records (oldest first, as readKmsg returns them).
 * `bootTimeSec` (/proc/stat btime) dates them; null leaves `time` null.
 */
export function parseOomKills(records: readonly KmsgRecord[], bootTimeSec: number | null): OomKill[] {
  const kills: OomKill[] = [];
  // The summary line comes just before its Killed line; keyed by pid so that reports of two
  // CPUs interleaving in the log still pair up.
  const summaries = new Map<number, SummaryLine>();
  let invoked: { name: string; pid: number | null } | null = null;
  let afterInvoked = false;
  for (const record of records) {
    // Root can write any text into the log, but not as the kernel (facility 0). Plain dmesg
    // text does not say, and is taken as it is.
    if (record.facility !== null && record.facility !== 0) continue;
    const message = record.message;
    const justInvoked = afterInvoked;
    afterInvoked = false;
    if (justInvoked && invoked) {
      const cpu = CPU_LINE.exec(message);
      if (cpu) invoked.pid = safeInt(cpu[1] as string);
    }
    const invokedAt = message.indexOf(INVOKED);
    if (invokedAt > 0) {
      invoked = { name: message.slice(0, invokedAt), pid: null };
      afterInvoked = true;
      continue;
    }
    // A report that ends without a kill: the victim was already exiting, or nothing was killable.
    // Its invoker must not be lent to the next kill.
    if (message.includes('Skip killing the task') || message.includes('no killable processes')) {
      invoked = null;
      continue;
    }
    const summary = parseSummaryLine(message);
    if (summary) {
      summaries.set(summary.pid, summary.line);
      continue;
    }
    const killed = parseKilledLine(message);
    if (!killed) continue;
    const line = summaries.get(killed.pid);
    summaries.delete(killed.pid);
    const split = line ? splitSummary(line.head, killed.name) : null;
    const uidField = killed.fields.get('UID');
    const adjField = killed.fields.get('oom_score_adj');
    kills.push({
      time: isoTime(bootTimeSec, record.monotonicUsec),
      monotonicSec: record.monotonicUsec / 1e6,
      pid: killed.pid,
      name: killed.name,
      uid: uidField !== undefined ? safeInt(uidField) : (line?.uid ?? null),
      constraint: split?.constraint ?? null,
      oomMemcg: split?.oomMemcg ?? null,
      taskMemcg: split?.taskMemcg ?? null,
      totalVmBytes: kbToBytes(killed.fields.get('total-vm')),
      anonRssBytes: kbToBytes(killed.fields.get('anon-rss')),
      fileRssBytes: kbToBytes(killed.fields.get('file-rss')),
      shmemRssBytes: kbToBytes(killed.fields.get('shmem-rss')),
      pageTablesBytes: kbToBytes(killed.fields.get('pgtables')),
      oomScoreAdj: adjField !== undefined ? safeInt(adjField) : null,
      invokedBy: invoked?.name ?? null,
      invokedByPid: invoked?.pid ?? null,
    });
    invoked = null;
  }
  return kills;
}
