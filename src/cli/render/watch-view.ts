// The live terminal view of `memlens watch` and its one-line-per-sample text form.
import asciichart from 'asciichart';
import { formatBytes, formatDuration } from '../../analysis/format.js';
import { sharedPhrase } from '../../analysis/headroom.js';
import type { SeriesPoint, Verdict } from '../../analysis/leak.js';
import type { SampleEvent } from '../../reports/watch.js';
import { compactBytes } from './units.js';

/** Points shown in the chart: the last minute and a half at 1 Hz fits an 80-column terminal. */
const CHART_POINTS = 90;

export function verdictLine(v: Verdict | null): string {
  if (!v) return 'verdict: not enough data yet';
  const limit =
    v.timeToLimitSec !== null
      ? ` — at this rate the ${v.limitSource ?? 'limit'} is reached in ${formatDuration(v.timeToLimitSec)}`
      : '';
  return `verdict: ${v.summary}${limit}`;
}

function rate(value: number | null): string {
  return value === null ? '-' : value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** One line per sample, for pipes and logs (no redraw). */
export function sampleLine(s: SampleEvent): string {
  const time = new Date(s.t * 1000).toISOString().slice(11, 19);
  return (
    `${time} ${s.name}(${s.pid}) virt ${compactBytes(s.vszBytes)} rss ${compactBytes(s.rssBytes)} ` +
    `pss ${compactBytes(s.pssBytes)} uss ${compactBytes(s.ussBytes)} swap ${compactBytes(s.swapBytes)} ` +
    `anon ${compactBytes(s.anonBytes)} file ${compactBytes(s.fileBytes)} shmem ${compactBytes(s.shmemBytes)} ` +
    `minflt/s ${rate(s.minorFaultsPerSec)} majflt/s ${rate(s.majorFaultsPerSec)}`
  );
}

/** The whole screen for one process: figures, a chart of RSS (and PSS), faults, the verdict. */
export function liveView(s: SampleEvent, series: SeriesPoint[], pss: number[], v: Verdict | null): string {
  const out: string[] = [];
  out.push(
    `memlens watch ${s.name} (pid ${s.pid})   ${new Date(s.t * 1000).toISOString().slice(11, 19)}   Ctrl-C to stop`,
  );
  out.push('');
  out.push(
    `  VIRT ${compactBytes(s.vszBytes)}   RSS ${compactBytes(s.rssBytes)}   PSS ${compactBytes(s.pssBytes)}   ` +
      `USS ${compactBytes(s.ussBytes)}   swap ${compactBytes(s.swapBytes)}`,
  );
  out.push(
    `  anon ${compactBytes(s.anonBytes)}   file ${compactBytes(s.fileBytes)}   shmem ${compactBytes(s.shmemBytes)}   ` +
      `page faults/s: ${rate(s.minorFaultsPerSec)} minor, ${rate(s.majorFaultsPerSec)} major`,
  );
  out.push('');
  const rss = series.slice(-CHART_POINTS).map((p) => p.v / 1024 / 1024);
  if (rss.length >= 2) {
    const lines = [rss];
    const pssTail = pss.slice(-CHART_POINTS).map((b) => b / 1024 / 1024);
    if (pssTail.length === rss.length) lines.push(pssTail);
    out.push(
      asciichart.plot(lines, {
        height: 8,
        format: (x: number) => `${x.toFixed(1).padStart(8)} MiB `,
        colors: [asciichart.default, asciichart.blue],
      }),
    );
    out.push(
      `  RSS${lines.length > 1 ? ' and PSS (blue)' : ''}, last ${formatDuration(series.length > 1 ? (series.at(-1)?.t ?? 0) - (series[Math.max(0, series.length - CHART_POINTS)]?.t ?? 0) : 0)}`,
    );
  }
  out.push('');
  out.push(verdictLine(v));
  if (s.headroomBytes !== null) {
    const under = s.headroomSetBy === null ? '' : ` under ${s.headroomSetBy}'s limit`;
    const shared =
      s.headroomSetBy === null
        ? null
        : sharedPhrase({ setBy: s.headroomSetBy, sharedWith: s.headroomSharedWith });
    out.push(`headroom: ${formatBytes(s.headroomBytes)}${under}${shared ? ` (${shared})` : ''}`);
  }
  return out.join('\n');
}
