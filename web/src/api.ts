// The JSON API the memlens server offers (README, "JSON API"), as the dashboard uses it. Sizes are
// bytes, times unix seconds; null means unknown. Errors come back as { error: { code, message } }.

export type Nullable<T> = T | null;

export interface PsiLine {
  avg10: number;
  avg60: number;
  avg300: number;
  totalMicros: number;
}
export interface Psi {
  some: PsiLine | null;
  full: PsiLine | null;
}

export interface Machine {
  t: number;
  memTotalBytes: number | null;
  memAvailableBytes: number | null;
  cachedBytes: number | null;
  swapTotalBytes: number | null;
  swapFreeBytes: number | null;
  psi: Psi | null;
  oomKills: number | null;
}

export type VerdictKind = 'steady' | 'sawtooth' | 'growing' | 'step' | 'not enough data yet';

export interface Verdict {
  kind: VerdictKind;
  slopeBytesPerSec: number | null;
  slopeLowBytesPerSec: number | null;
  slopeHighBytesPerSec: number | null;
  pValue: number | null;
  observedSec: number | null;
  timeToLimitSec: number | null;
  limitBytes: number | null;
  limitSource: string | null;
  needMoreSec: number | null;
  baselineBytes: number | null;
  summary: string;
}

export interface ProcessRow {
  pid: number;
  startTicks: number | null;
  name: string;
  command: string | null;
  user: string | null;
  vszBytes: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  ussBytes: number | null;
  swapBytes: number | null;
  verdict: Verdict | null;
  spark: (number | null)[];
}

export interface ProcessesResponse {
  t: number;
  processes: ProcessRow[];
}

export interface Finding {
  id: string;
  severity: 'info' | 'notice' | 'warning';
  summary: string;
  detail: string;
  advice?: string | null;
}

export interface CategoryRow {
  category: string;
  label: string;
  regions: number;
  sizeBytes: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  privateBytes: number | null;
  sharedBytes: number | null;
  swapBytes: number | null;
}

export interface RegionRow {
  start: string;
  end: string;
  perms: string;
  path: string;
  deleted?: boolean;
  category: string;
  sizeBytes: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  swapBytes?: number | null;
}

export interface InspectReport {
  categories: CategoryRow[];
  topRegions: { bySize: RegionRow[]; byRss: RegionRow[] };
  findings: Finding[];
  lazyFreeBytes?: number | null;
  rssAnonBytes?: number | null;
  rssFileBytes?: number | null;
  rssShmemBytes?: number | null;
  unknownReason?: string | null;
}

export interface ProcessDetail {
  process: ProcessRow & { threads: number | null; oomScore: number | null; oomScoreAdj: number | null };
  inspect: InspectReport | null;
  inspectUnknownReason: string | null;
}

export interface History<K extends string> {
  from: number;
  to: number;
  stepSec: number;
  series: { t: number[] } & Record<K, (number | null)[]>;
}

export type ProcessSeries =
  | 'vszBytes'
  | 'rssBytes'
  | 'pssBytes'
  | 'ussBytes'
  | 'swapBytes'
  | 'anonBytes'
  | 'fileBytes'
  | 'shmemBytes'
  | 'minorFaultsPerSec'
  | 'majorFaultsPerSec';

export type MachineSeries =
  | 'memAvailableBytes'
  | 'cachedBytes'
  | 'swapFreeBytes'
  | 'psiSomeAvg10'
  | 'psiFullAvg10'
  | 'oomKills';

export type CgroupSeries =
  | 'usageBytes'
  | 'workingSetBytes'
  | 'limitBytes'
  | 'anonBytes'
  | 'fileBytes'
  | 'shmemBytes'
  | 'kernelBytes'
  | 'oomKills'
  | 'psiSomeAvg10';

export interface CgroupEvents {
  oom: number | null;
  oomKill: number | null;
  max: number | null;
  high: number | null;
}

export interface Cgroup {
  path: string;
  version: 1 | 2;
  limitBytes: number | null;
  limitSetBy: string | null;
  usageBytes: number | null;
  workingSetBytes: number | null;
  headroomBytes: number | null;
  /** The level the headroom is left under (the cgroup or an ancestor), its limit, and who shares it. */
  headroomSetBy: string | null;
  headroomLimitBytes: number | null;
  headroomSharedWith: number | null;
  anonBytes: number | null;
  fileBytes: number | null;
  inactiveFileBytes: number | null;
  shmemBytes: number | null;
  kernelBytes: number | null;
  events: CgroupEvents | null;
  eventsScope: string | null;
  psi: Psi | null;
  pids: number[];
}

export interface OomRank {
  pid: number;
  name: string;
  cgroup: string | null;
  oomScore: number | null;
  oomScoreAdj: number | null;
  computedOomScore: number | null;
  badness: { points: number | null } | null;
  exempt: boolean;
  exemptReason: string | null;
}

export interface OomKill {
  time: string | null;
  pid: number;
  name: string;
  constraint?: string | null;
  oomMemcg?: string | null;
  anonRssBytes?: number | null;
  fileRssBytes?: number | null;
  shmemRssBytes?: number | null;
}

export interface OomReport {
  ranking: OomRank[];
  kills: OomKill[] | null;
  killsUnknownReason: string | null;
  findings: Finding[];
}

export interface Tick {
  t: number;
  machine: Machine;
  processes: ProcessRow[];
}

/** An answer of the API that was not 2xx, or no answer at all. */
export class ApiError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** GETs an API path and parses its JSON; throws ApiError with the server's code and message. */
export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { signal, headers: { accept: 'application/json' } });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(path, 0, 'E_NETWORK', `Cannot reach memlens at ${path}: ${(error as Error).message}`);
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: described below from the status alone.
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(
      path,
      res.status,
      e?.code ?? `HTTP_${res.status}`,
      e?.message ?? `${path} answered ${res.status} ${res.statusText}`,
    );
  }
  if (body === null) throw new ApiError(path, res.status, 'E_BAD_JSON', `${path} did not answer with JSON`);
  return body as T;
}

/** Builds "path?a=1&b=2", leaving out undefined values. */
export function url(path: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
