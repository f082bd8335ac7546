// What changed in a process between two snapshots (`memlens snapshot`): totals, categories,
// regions that grew, shrank, appeared or went, and thread stacks. Pure: it takes the parsed JSON
// (validated here, since files come from anywhere), with no file system and no clock.

import { formatBytes, formatDuration, plural } from './format.js';

/** The snapshot format this memlens writes and reads. */
export const SNAPSHOT_FORMAT = 1;
/** A region whose RSS moved less than this is noise: allocators and stacks breathe by pages. */
export const DEFAULT_MIN_RSS_BYTES = 256 * 1024;
/** A region that moved less RSS is still listed when its size moved this much (a new reservation). */
export const DEFAULT_MIN_SIZE_BYTES = 64 * 1024 * 1024;
/** How many regions the summary names before "and N more". */
const SUMMARY_REGIONS = 5;

type Figures = { sizeBytes: number; rssBytes: number; pssBytes: number };
type Place = { start: string; end: string; path: string; category: string };
/** The parts of a region the diff reads: a snapshot holds `maps --json` regions, a superset. */
export type SnapshotRegion = Figures & Place & { perms: string };
export type SnapshotCategory = Figures & { category: string; label: string; regions: number };

const TOTAL_KEYS = ['vszBytes', 'rssBytes', 'pssBytes', 'ussBytes', 'swapBytes'] as const;
type TotalKey = (typeof TOTAL_KEYS)[number];

/** The parts of a snapshot the diff reads; reports/snapshot.ts writes a superset. */
export interface DiffableSnapshot {
  memlensSnapshot: number;
  capturedAt: string;
  pid: number;
  name: string;
  startTimeTicks: number;
  inspect: Record<TotalKey, number | null> & { categories: SnapshotCategory[] | null };
  regions: SnapshotRegion[];
}

/** Input that is not a snapshot this memlens reads; `which` says which of the two ('a' or 'b'). */
export class SnapshotFormatError extends Error {
  override name = 'SnapshotFormatError';
  constructor(
    message: string,
    readonly which: 'a' | 'b' | null = null,
  ) {
    super(message);
  }
}

/** `delta` is null when either side is unknown. */
export type Change = { before: number | null; after: number | null; delta: number | null };
/** B minus A, in bytes. */
export type Deltas = { sizeDeltaBytes: number; rssDeltaBytes: number; pssDeltaBytes: number };
export type RegionChangeKind = 'grown' | 'shrunk' | 'new' | 'gone';
/** The region as it is in B (in A for one that is gone). */
export type RegionChange = { change: RegionChangeKind } & Place & Deltas;
export type CategoryChange = { category: string; label: string } & Deltas & { regionsDelta: number };
export type SnapshotSide = { pid: number; name: string; capturedAt: string; startTimeTicks: number };

export interface SnapshotDiff {
  a: SnapshotSide;
  b: SnapshotSide;
  /** Same pid and start time: one process, two moments. */
  sameProcess: boolean;
  warnings: string[];
  /** B's time minus A's; negative when B is the older one. */
  elapsedSec: number;
  totals: Record<TotalKey, Change>;
  categories: CategoryChange[];
  /** Changes at or above the thresholds, largest |ΔRSS| first. */
  regions: RegionChange[];
  /** Changes under the thresholds, not listed; stack regions not counted (threadStacks has them). */
  hiddenRegions: number;
  threadStacks: { before: number; after: number; sizeDeltaBytes: number; rssDeltaBytes: number };
  summary: string;
}

export type DiffOptions = { minRssBytes?: number; minSizeBytes?: number };

/**
 * Compares snapshot A (earlier) with B (later), both as parsed from JSON. Throws a
 * SnapshotFormatError naming which one when either is not a snapshot this memlens reads.
 */
export function diffSnapshots(aJson: unknown, bJson: unknown, opts: DiffOptions = {}): SnapshotDiff {
  const a = checked(aJson, 'a');
  const b = checked(bJson, 'b');
  const minRss = opts.minRssBytes ?? DEFAULT_MIN_RSS_BYTES;
  const minSize = opts.minSizeBytes ?? DEFAULT_MIN_SIZE_BYTES;
  const sameProcess = a.pid === b.pid && a.startTimeTicks === b.startTimeTicks;
  const elapsedSec = (Date.parse(b.capturedAt) - Date.parse(a.capturedAt)) / 1000;
  const warnings: string[] = [];
  if (!sameProcess) warnings.push(differentProcesses(a, b));
  if (elapsedSec < 0) warnings.push('B was captured before A, so every change reads backwards in time');

  const totals = {} as Record<TotalKey, Change>;
  for (const k of TOTAL_KEYS) {
    const before = a.inspect[k];
    const after = b.inspect[k];
    totals[k] = { before, after, delta: before === null || after === null ? null : after - before };
  }
  const all = matchRegions(a.regions, b.regions);
  const visible = (r: RegionChange) =>
    Math.abs(r.rssDeltaBytes) >= minRss || (r.category !== 'stacks' && Math.abs(r.sizeDeltaBytes) >= minSize);
  const regions = all.filter(visible).sort(byImpact);
  const [sa, sb] = [stackFigures(a.regions), stackFigures(b.regions)];
  const diff: SnapshotDiff = {
    a: side(a),
    b: side(b),
    sameProcess,
    warnings,
    elapsedSec,
    totals,
    categories: categoryChanges(a.inspect.categories ?? [], b.inspect.categories ?? []),
    regions,
    // Stack regions are left out: threadStacks adds them all up.
    hiddenRegions: all.filter((r) => r.category !== 'stacks' && !visible(r)).length,
    threadStacks: {
      before: sa.count,
      after: sb.count,
      sizeDeltaBytes: sb.size - sa.size,
      rssDeltaBytes: sb.rss - sa.rss,
    },
    summary: '',
  };
  diff.summary = summarize(diff, minRss);
  return diff;
}

function side(s: DiffableSnapshot): SnapshotSide {
  return { pid: s.pid, name: s.name, capturedAt: s.capturedAt, startTimeTicks: s.startTimeTicks };
}

function differentProcesses(a: DiffableSnapshot, b: DiffableSnapshot): string {
  const who =
    a.pid === b.pid
      ? `pid ${a.pid} was restarted or reused in between (start time ${a.startTimeTicks} vs ${b.startTimeTicks} ticks)`
      : `A is pid ${a.pid} (${a.name}) and B is pid ${b.pid} (${b.name})`;
  // Address randomization moves nearly every region of a new process, so say where to look.
  return `The snapshots are of different processes: ${who}; regions are matched by address, so compare the totals and categories`;
}

/** Address and path; the address canonical, so "0x7F3A..." and "0x7f3a..." are the same region. */
const key = (r: SnapshotRegion, at: 'start' | 'end') => `${BigInt(r[at]).toString(16)} ${r.path}`;

/**
 * Pairs regions by (start, path), then what is left by (end, path): stacks grow down, and the
 * kernel merges a new mapping into a like neighbour above it. Unchanged pairs are dropped.
 */
function matchRegions(aRegions: SnapshotRegion[], bRegions: SnapshotRegion[]): RegionChange[] {
  const out: RegionChange[] = [];
  const pair = (before: SnapshotRegion, after: SnapshotRegion) => {
    const d = deltas(before, after);
    // A moved end decides; otherwise residency does (a touched reservation "grew" in RSS).
    const sign = d.sizeDeltaBytes || d.rssDeltaBytes || d.pssDeltaBytes;
    if (sign !== 0) out.push(regionChange(sign > 0 ? 'grown' : 'shrunk', after, d));
  };
  const byStart = new Map(aRegions.map((r) => [key(r, 'start'), r]));
  const rest: SnapshotRegion[] = [];
  for (const r of bRegions) {
    const old = byStart.get(key(r, 'start'));
    if (old && byStart.delete(key(r, 'start'))) pair(old, r);
    else rest.push(r);
  }
  const byEnd = new Map([...byStart.values()].map((r) => [key(r, 'end'), r]));
  for (const r of rest) {
    const old = byEnd.get(key(r, 'end'));
    if (old && byEnd.delete(key(r, 'end'))) pair(old, r);
    else out.push(regionChange('new', r, deltas(null, r)));
  }
  for (const r of byEnd.values()) out.push(regionChange('gone', r, deltas(r, null)));
  return out;
}

/** B minus A; a side that is missing counts as zero. */
function deltas(a: Figures | null | undefined, b: Figures | null | undefined): Deltas {
  return {
    sizeDeltaBytes: (b?.sizeBytes ?? 0) - (a?.sizeBytes ?? 0),
    rssDeltaBytes: (b?.rssBytes ?? 0) - (a?.rssBytes ?? 0),
    pssDeltaBytes: (b?.pssBytes ?? 0) - (a?.pssBytes ?? 0),
  };
}

function regionChange(change: RegionChangeKind, r: SnapshotRegion, d: Deltas): RegionChange {
  return { change, start: r.start, end: r.end, path: r.path, category: r.category, ...d };
}

function byImpact(x: RegionChange, y: RegionChange): number {
  const d =
    Math.abs(y.rssDeltaBytes) - Math.abs(x.rssDeltaBytes) ||
    Math.abs(y.sizeDeltaBytes) - Math.abs(x.sizeDeltaBytes);
  if (d !== 0) return d;
  const [p, q] = [BigInt(x.start), BigInt(y.start)];
  return p < q ? -1 : p > q ? 1 : 0;
}

/** Stacks as inspect counts them: every 'stacks' region in the sums, guards (---) not in the count. */
function stackFigures(regions: SnapshotRegion[]): { count: number; size: number; rss: number } {
  const out = { count: 0, size: 0, rss: 0 };
  for (const r of regions) {
    if (r.category !== 'stacks') continue;
    out.size += r.sizeBytes;
    out.rss += r.rssBytes;
    if (!r.perms.startsWith('---')) out.count++;
  }
  return out;
}

/** Every category either side has, in A's order (the display order), then any only B has. */
function categoryChanges(a: SnapshotCategory[], b: SnapshotCategory[]): CategoryChange[] {
  const names = [...new Set([...a, ...b].map((c) => c.category))];
  return names.map((name) => {
    const x = a.find((c) => c.category === name);
    const y = b.find((c) => c.category === name);
    const label = y?.label ?? x?.label ?? name;
    return { category: name, label, ...deltas(x, y), regionsDelta: (y?.regions ?? 0) - (x?.regions ?? 0) };
  });
}

/** "+12 MiB", "-4 KiB", "0 B": the sign always shown, since these are changes. */
export function signedBytes(bytes: number): string {
  return bytes > 0 ? `+${formatBytes(bytes)}` : formatBytes(bytes);
}

/** Time between snapshots: "0.4s" below a second (tests and scripts snapshot that fast), else "5m12s". */
export function formatElapsed(sec: number): string {
  const s = Math.abs(sec);
  return `${sec < 0 ? '-' : ''}${s < 1 ? `${Number(s.toFixed(1))}s` : formatDuration(s)}`;
}

/** How a region is named in prose: its path, or its category and address when it has none. */
function regionName(r: RegionChange): string {
  const name = r.path !== '' ? r.path : `${r.category} ${r.start.replace(/^0x/, '')}`;
  return r.change === 'new' || r.change === 'gone' ? `${name} (${r.change})` : name;
}

function regionPhrase(r: RegionChange, minRss: number): string {
  const rss = `${signedBytes(r.rssDeltaBytes)} RSS`;
  if (r.sizeDeltaBytes === 0 || r.sizeDeltaBytes === r.rssDeltaBytes) return `${regionName(r)} ${rss}`;
  const size = `${signedBytes(r.sizeDeltaBytes)} VIRT`;
  return `${regionName(r)} ${Math.abs(r.rssDeltaBytes) >= minRss ? `${rss} (${size})` : size}`;
}

function summarize(d: SnapshotDiff, minRss: number): string {
  const sentences = d.sameProcess ? [] : [`${d.warnings[0]}.`];
  const { rssBytes: rss, ...rest } = d.totals;
  const figures =
    rss.delta === null || rss.before === null || rss.after === null
      ? []
      : [`RSS ${signedBytes(rss.delta)} (from ${formatBytes(rss.before)} to ${formatBytes(rss.after)})`];
  for (const [label, c] of [
    ['PSS', rest.pssBytes],
    ['USS', rest.ussBytes],
    ['VIRT', rest.vszBytes],
    ['swap', rest.swapBytes],
  ] as const) {
    // Swap is named only when it moved: "swap +0 B" in every summary would be noise.
    if (c.delta !== null && (label !== 'swap' || c.delta !== 0))
      figures.push(`${label} ${signedBytes(c.delta)}`);
  }
  sentences.push(`In ${formatElapsed(d.elapsedSec)}: ${figures.join(', ') || 'no totals known'}.`);
  const parts = d.regions.slice(0, SUMMARY_REGIONS).map((r) => regionPhrase(r, minRss));
  const more = d.regions.length - SUMMARY_REGIONS;
  if (more > 0) parts.push(`and ${plural(more, 'more region')}`);
  const s = d.threadStacks;
  const stacks = s.after - s.before;
  if (stacks !== 0) {
    const what = stacks > 0 ? plural(stacks, 'new thread stack') : `${plural(-stacks, 'thread stack')} gone`;
    parts.push(`${what} (${signedBytes(s.sizeDeltaBytes)} VIRT, ${signedBytes(s.rssDeltaBytes)} RSS)`);
  }
  sentences.push(
    parts.length > 0
      ? `What changed: ${parts.join('; ')}.`
      : `No region changed by ${formatBytes(minRss)} of RSS or more.`,
  );
  if (d.hiddenRegions > 0) sentences.push(`${plural(d.hiddenRegions, 'smaller region change')} not listed.`);
  return sentences.join(' ');
}

// ---- Validation: a snapshot file may hold anything, so every field the diff reads is checked.

type Kind = 'int' | 'int?' | 'str' | 'hex';
const KINDS: Record<Kind, [expected: string, ok: (v: unknown) => boolean]> = {
  int: ['a whole number', Number.isSafeInteger],
  'int?': ['a whole number or null', (v) => v === null || Number.isSafeInteger(v)],
  str: ['a string', (v) => typeof v === 'string'],
  hex: ['a hex address like "0x7f3a1c000000"', (v) => typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v)],
};
const TOP: Record<string, Kind> = { capturedAt: 'str', pid: 'int', name: 'str', startTimeTicks: 'int' };
const INSPECT = Object.fromEntries(TOTAL_KEYS.map((k) => [k, 'int?'])) as Record<string, Kind>;
const FIGURES: Record<string, Kind> = { sizeBytes: 'int', rssBytes: 'int', pssBytes: 'int' };
const CATEGORY: Record<string, Kind> = { category: 'str', label: 'str', regions: 'int', ...FIGURES };
const REGION: Record<string, Kind> = {
  start: 'hex',
  end: 'hex',
  perms: 'str',
  path: 'str',
  category: 'str',
  ...FIGURES,
};

function fail(field: string, expected: string, value: unknown): never {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  const found = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  throw new SnapshotFormatError(`"${field}" should be ${expected}, found ${found}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkFields(value: unknown, spec: Record<string, Kind>, where: string): Record<string, unknown> {
  if (!isObject(value)) fail(where, 'an object', value);
  for (const [key, kind] of Object.entries(spec)) {
    const [expected, ok] = KINDS[kind];
    if (!ok(value[key])) fail(where ? `${where}.${key}` : key, expected, value[key]);
  }
  return value;
}

function checkList(value: unknown, where: string, spec: Record<string, Kind>): void {
  if (!Array.isArray(value)) fail(where, 'an array', value);
  for (let i = 0; i < value.length; i++) checkFields(value[i], spec, `${where}[${i}]`);
}

/** Checks that `value` is a snapshot (format SNAPSHOT_FORMAT) with every field the diff reads. */
export function parseSnapshot(value: unknown): DiffableSnapshot {
  if (!isObject(value)) fail('snapshot', `a JSON object with "memlensSnapshot": ${SNAPSHOT_FORMAT}`, value);
  const version = value.memlensSnapshot;
  if (version === undefined) {
    throw new SnapshotFormatError(
      'it has no "memlensSnapshot" field (write one with "memlens snapshot PID -o FILE")',
    );
  }
  if (typeof version === 'number' && version > SNAPSHOT_FORMAT) {
    throw new SnapshotFormatError(
      `it is format ${version}, written by a newer memlens; this one reads format ${SNAPSHOT_FORMAT}`,
    );
  }
  if (version !== SNAPSHOT_FORMAT) fail('memlensSnapshot', String(SNAPSHOT_FORMAT), version);
  checkFields(value, TOP, '');
  if (Number.isNaN(Date.parse(value.capturedAt as string)))
    fail('capturedAt', 'an ISO 8601 time', value.capturedAt);
  const inspect = checkFields(value.inspect, INSPECT, 'inspect');
  if (inspect.categories !== null) checkList(inspect.categories, 'inspect.categories', CATEGORY);
  checkList(value.regions, 'regions', REGION);
  return value as unknown as DiffableSnapshot;
}

function checked(value: unknown, which: 'a' | 'b'): DiffableSnapshot {
  try {
    return parseSnapshot(value);
  } catch (err) {
    if (err instanceof SnapshotFormatError) throw new SnapshotFormatError(err.message, which);
    throw err;
  }
}
