// Sizes and shares as they appear in the sentences of findings ("1.2 GiB", "52 MiB", "45%").
// Tables have their own compact formatter in cli/render; analysis cannot import from an output,
// and prose wants the unit spelled as the IEC symbol, with a space.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * Bytes in IEC units: one decimal below 10 of a unit ("1.2 GiB"), none above ("52 MiB"), and
 * no ".0" ("1 GiB"), because readers compare magnitudes, not the third digit.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${sign}${value} B`;
  let text = value < 10 ? value.toFixed(1) : value.toFixed(0);
  // 1023.7 KiB rounds to "1024 KiB": say "1 MiB" instead.
  if (Number(text) >= 1024 && unit < UNITS.length - 1) {
    unit++;
    text = '1';
  }
  if (text.endsWith('.0')) text = text.slice(0, -2);
  return `${sign}${text} ${UNITS[unit]}`;
}

/**
 * A share as a whole percentage ("45%"). A share that is not zero never reads as "0%", and one
 * that is not whole never reads as "100%": both would contradict the numbers next to them.
 */
export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '-';
  const ratio = part / whole;
  if (ratio > 0 && ratio < 0.01) return '<1%';
  if (ratio < 1 && ratio > 0.99) return '>99%';
  return `${Math.round(ratio * 100)}%`;
}

/** "1 thread stack", "12 thread stacks": English plural by appending "s". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** "4m12s", "1h03m", "12s": how long something lasted, for sentences. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}
