// The state of `memlens watch`: samplers for each process, their series, the leak verdicts, and
// the events the CLI prints (as NDJSON or text). No clock and no timers here: the caller passes
// the time of each tick, so tests can drive it and the server can reuse it.

import { diffSnapshots, type SnapshotDiff } from '../analysis/diff.js';
import { formatBytes, formatDuration } from '../analysis/format.js';
import { sharedPhrase } from '../analysis/headroom.js';
import { analyzeSeries, type SeriesPoint, type Verdict, withTimeToLimit } from '../analysis/leak.js';
import { exitCause, type Headroom, HeadroomReader } from '../collect/headroom.js';
import { readProcess } from '../collect/process.js';
import { ProcessSampler, type WatchSample } from '../collect/sampler.js';
import { isNoProcess } from '../procfs/errors.js';
import type { ProcFs } from '../procfs/fs.js';
import { buildSnapshot, type Snapshot } from './snapshot.js';

export interface SampleEvent extends Omit<WatchSample, 'rssAnonBytes' | 'rssFileBytes' | 'rssShmemBytes'> {
  anonBytes: number | null;
  fileBytes: number | null;
  shmemBytes: number | null;
  headroomBytes: number | null;
  /** The cgroup whose limit that headroom is left under (the binding level); null for MemAvailable. */
  headroomSetBy: string | null;
  /** Other cgroups charged against that limit (siblings, cousins); null when unknown or no cgroup. */
  headroomSharedWith: number | null;
  /** Present on the sample at which the verdict changed. */
  verdict?: Verdict;
}

export interface AggregateEvent {
  t: number;
  pid: null;
  aggregate: true;
  pids: number[];
  rssBytes: number;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  verdict?: Verdict;
}

export interface EndEvent {
  t: number;
  pid: number | null;
  event: 'end';
  /** Why this series ended: the process exited or was OOM-killed, or the run ended. */
  reason: 'exited' | 'oom-killed' | 'duration' | 'count' | 'interrupted';
  observedSec: number;
  lastRssBytes: number | null;
  oomKilled: boolean | null;
  /** How we know it was (or was not) an OOM kill. */
  evidence: string[];
  verdict: Verdict;
  summary: string;
}

/** What grew since the previous snapshot (watch --diff-every). */
export interface DiffEvent {
  t: number;
  pid: number;
  event: 'diff';
  diff: SnapshotDiff;
}

/** The verdict with its time to the limit that binds (naming who else shares that limit). */
export function withHeadroom(v: Verdict, room: Headroom): Verdict {
  const note = room.cgroup ? sharedPhrase(room.cgroup) : null;
  return withTimeToLimit(v, room.headroomBytes, room.limitBytes, room.limitSource, note);
}

export type WatchEvent = SampleEvent | AggregateEvent | EndEvent | DiffEvent;

interface Tracked {
  sampler: ProcessSampler;
  headroom: HeadroomReader;
  before: { cgroupOomKills: number | null; machineOomKills: number | null };
  series: SeriesPoint[];
  startT: number | null;
  last: SampleEvent | null;
  /** The headroom read with `last`: the group's verdict uses it rather than reading it again. */
  room: Headroom | null;
  verdict: Verdict | null;
  ended: boolean;
  snapshot: Snapshot | null;
}

function sum(values: (number | null)[]): number | null {
  let total = 0;
  for (const v of values) {
    if (v === null) return null;
    total += v;
  }
  return total;
}

function sameVerdict(a: Verdict | null, b: Verdict): boolean {
  return a !== null && a.kind === b.kind;
}

export class Watch {
  private readonly tracked: Tracked[] = [];
  private readonly aggregate: { series: SeriesPoint[]; verdict: Verdict | null } = {
    series: [],
    verdict: null,
  };

  /** Starts watching; throws E_NO_PROCESS if a process is gone already. */
  constructor(
    private readonly fs: ProcFs,
    pids: number[],
  ) {
    for (const pid of pids) {
      const headroom = new HeadroomReader(fs, pid);
      this.tracked.push({
        sampler: new ProcessSampler(fs, pid),
        headroom,
        before: { cgroupOomKills: headroom.cgroupOomKills(), machineOomKills: headroom.machineOomKills() },
        series: [],
        startT: null,
        last: null,
        room: null,
        verdict: null,
        ended: false,
        snapshot: null,
      });
    }
  }

  get live(): number {
    return this.tracked.filter((x) => !x.ended).length;
  }

  /** The latest sample and verdict of each process (for a live view). */
  current(): { sample: SampleEvent | null; verdict: Verdict | null; series: SeriesPoint[]; pid: number }[] {
    return this.tracked.map((x) => ({
      sample: x.last,
      verdict: x.verdict,
      series: x.series,
      pid: x.sampler.pid,
    }));
  }

  tick(t: number): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (const x of this.tracked) {
      if (x.ended) continue;
      let s: WatchSample;
      try {
        s = x.sampler.sample(t);
      } catch (err) {
        if (!isNoProcess(err)) throw err;
        out.push(this.finish(x, t, null));
        continue;
      }
      x.startT ??= t;
      if (s.rssBytes !== null) x.series.push({ t, v: s.rssBytes });
      const room = x.headroom.read();
      const verdict = this.verdictOf(x.series, room);
      const { rssAnonBytes, rssFileBytes, rssShmemBytes, ...rest } = s;
      const event: SampleEvent = {
        ...rest,
        anonBytes: rssAnonBytes,
        fileBytes: rssFileBytes,
        shmemBytes: rssShmemBytes,
        headroomBytes: room.headroomBytes,
        headroomSetBy: room.cgroup?.setBy ?? null,
        headroomSharedWith: room.cgroup?.sharedWith ?? null,
      };
      if (!sameVerdict(x.verdict, verdict)) event.verdict = verdict;
      x.verdict = verdict;
      x.last = event;
      x.room = room;
      out.push(event);
    }
    if (this.tracked.length > 1) {
      const live = this.tracked.filter((x) => !x.ended && x.last?.t === t);
      if (live.length > 0) {
        const rss = sum(live.map((x) => x.last?.rssBytes ?? null)) ?? 0;
        this.aggregate.series.push({ t, v: rss });
        // The group's headroom is the tightest of its members' (they usually share a cgroup).
        const rooms = live.map((x) => x.room ?? x.headroom.read());
        const room = rooms.reduce((a, b) =>
          (b.headroomBytes ?? Infinity) < (a.headroomBytes ?? Infinity) ? b : a,
        );
        const verdict = this.verdictOf(this.aggregate.series, room);
        const agg: AggregateEvent = {
          t,
          pid: null,
          aggregate: true,
          pids: live.map((x) => x.sampler.pid),
          rssBytes: rss,
          pssBytes: sum(live.map((x) => x.last?.pssBytes ?? null)),
          ussBytes: sum(live.map((x) => x.last?.ussBytes ?? null)),
          swapBytes: sum(live.map((x) => x.last?.swapBytes ?? null)),
        };
        if (!sameVerdict(this.aggregate.verdict, verdict)) agg.verdict = verdict;
        this.aggregate.verdict = verdict;
        out.push(agg);
      }
    }
    return out;
  }

  /**
   * Takes a full snapshot of each live process (an smaps walk: this is the expensive tier, run
   * every few minutes) and returns what grew since the previous one. The first call only records.
   */
  diffTick(t: number, pageSize: number): DiffEvent[] {
    const out: DiffEvent[] = [];
    for (const x of this.tracked) {
      if (x.ended) continue;
      let snap: Snapshot;
      try {
        snap = buildSnapshot(
          readProcess(this.fs, x.sampler.pid, { smaps: true, oom: true }),
          null,
          pageSize,
          new Date(t * 1000),
        );
      } catch (err) {
        // Gone (the next tick reports it) or smaps unreadable: nothing to compare.
        if (isNoProcess(err) || (err instanceof Error && /needs the regions/.test(err.message))) continue;
        throw err;
      }
      if (x.snapshot)
        out.push({ t, pid: x.sampler.pid, event: 'diff', diff: diffSnapshots(x.snapshot, snap) });
      x.snapshot = snap;
    }
    return out;
  }

  /** Ends the run for every process still watched; each gets an end event with its final verdict. */
  end(t: number, reason: 'duration' | 'count' | 'interrupted'): EndEvent[] {
    return this.tracked.filter((x) => !x.ended).map((x) => this.finish(x, t, reason));
  }

  private verdictOf(series: SeriesPoint[], room: Headroom): Verdict {
    return withHeadroom(analyzeSeries(series), room);
  }

  private finish(x: Tracked, t: number, reason: EndEvent['reason'] | null): EndEvent {
    x.ended = true;
    const observedSec = x.startT === null ? 0 : (x.last?.t ?? t) - x.startT;
    const verdict = x.verdict ?? analyzeSeries(x.series);
    const lastRss = x.last?.rssBytes ?? null;
    let oomKilled: boolean | null = null;
    let evidence: string[] = [];
    let why = reason;
    if (reason === null) {
      const cause = exitCause(this.fs, x.sampler.pid, x.headroom, x.before);
      oomKilled = cause.oomKilled;
      evidence = cause.evidence;
      why = cause.oomKilled ? 'oom-killed' : 'exited';
    }
    return {
      t,
      pid: x.sampler.pid,
      event: 'end',
      reason: why as EndEvent['reason'],
      observedSec,
      lastRssBytes: lastRss,
      oomKilled,
      evidence,
      verdict,
      summary: endSummary(
        x.sampler.first.name,
        x.sampler.pid,
        why as EndEvent['reason'],
        observedSec,
        lastRss,
        evidence,
      ),
    };
  }
}

function mib(bytes: number | null): string {
  return bytes === null ? 'unknown' : formatBytes(bytes);
}

function endSummary(
  name: string,
  pid: number,
  reason: EndEvent['reason'],
  observedSec: number,
  lastRss: number | null,
  evidence: string[],
): string {
  const after = formatDuration(observedSec);
  if (reason === 'oom-killed') {
    return `${name} (${pid}) was killed by the OOM killer after ${after} of watching, last RSS ${mib(lastRss)}: ${evidence.join('; ')}.`;
  }
  if (reason === 'exited')
    return `${name} (${pid}) exited after ${after} of watching, last RSS ${mib(lastRss)}.`;
  return `watched ${name} (${pid}) for ${after}, last RSS ${mib(lastRss)}.`;
}
