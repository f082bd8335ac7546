// Numbers as people read them: sizes in IEC units (KiB = 1024 B, as the kernel's "kB" really is),
// rates, durations and times. An unknown value (null, undefined, NaN) is shown as "–", never as 0.
// Pure functions: no DOM, so node's test runner can check them too.

export const UNKNOWN = '–';

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

function known(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Three significant digits: 1.23, 12.3, 123, 1023. */
function sig3(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** 52428800 -> "50.0 MiB"; 0 -> "0 B"; null -> "–". */
export function bytes(v: number | null | undefined): string {
  if (!known(v)) return UNKNOWN;
  const sign = v < 0 ? '-' : '';
  let a = Math.abs(v);
  let i = 0;
  while (a >= 1024 && i < IEC.length - 1) {
    a /= 1024;
    i++;
  }
  if (i === 0) return `${sign}${a.toFixed(0)} B`;
  return `${sign}${sig3(a)} ${IEC[i]}`;
}

/** A size change with its sign: "+1.00 MiB", "-512 KiB", "0 B". */
export function signedBytes(v: number | null | undefined): string {
  if (!known(v)) return UNKNOWN;
  return v > 0 ? `+${bytes(v)}` : bytes(v);
}

/**
 * A growth rate in the time unit that keeps the number readable: "+1.00 MiB/s", "+12.0 MiB/h",
 * "+3.00 GiB/d".
 */
export function rate(bytesPerSec: number | null | undefined): string {
  if (!known(bytesPerSec)) return UNKNOWN;
  const a = Math.abs(bytesPerSec);
  const units: [string, number][] = [
    ['s', 1],
    ['min', 60],
    ['h', 3600],
    ['d', 86400],
  ];
  for (const [name, sec] of units) {
    if (a * sec >= 1024 || name === 'd') return `${signedBytes(bytesPerSec * sec)}/${name}`;
  }
  return UNKNOWN;
}

/** Seconds as the two largest units: "45 s", "3 min 20 s", "5 h 12 min", "2 d 4 h". */
export function duration(sec: number | null | undefined): string {
  if (!known(sec)) return UNKNOWN;
  if (sec < 0) return `-${duration(-sec)}`;
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'min'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n], i) => i === 0 || n > 0)
    .map(([n, u]) => `${n} ${u}`)
    .join(' ');
}

/** A count with thin grouping: 12345 -> "12,345". */
export function count(v: number | null | undefined): string {
  if (!known(v)) return UNKNOWN;
  return Math.round(v).toLocaleString('en-US');
}

/** A share as a percentage: (0.123) -> "12.3%". */
export function percent(fraction: number | null | undefined): string {
  if (!known(fraction)) return UNKNOWN;
  const p = fraction * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** A PSI average, which the kernel already gives in percent: 0.5 -> "0.50%". */
export function psiPercent(v: number | null | undefined): string {
  if (!known(v)) return UNKNOWN;
  return `${v.toFixed(2)}%`;
}

/** A rate of events per second: "1.2k/s", "35/s", "0.20/s". */
export function perSec(v: number | null | undefined): string {
  if (!known(v)) return UNKNOWN;
  const a = Math.abs(v);
  if (a >= 1e6) return `${sig3(v / 1e6)}M/s`;
  if (a >= 1e3) return `${sig3(v / 1e3)}k/s`;
  return `${sig3(v)}/s`;
}

/** Unix seconds as local "YYYY-MM-DD HH:MM:SS". */
export function clock(t: number | null | undefined): string {
  if (!known(t)) return UNKNOWN;
  const d = new Date(t * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * Axis steps for a byte scale, so ticks fall on round IEC values (256 MiB, 1 GiB) instead of
 * round decimal ones that print as 238 MiB.
 */
export const BYTE_INCREMENTS: number[] = (() => {
  const out: number[] = [];
  for (let p = 0; p <= 50; p += 10) {
    for (const m of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) out.push(m * 2 ** p);
  }
  return out;
})();
