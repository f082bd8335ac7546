// The words and numbers of the leak verdict's summary line: durations ("3m20s"), rates per
// minute ("1.2 MiB/min"), confidence ranges in the rate's own unit ("1.0–1.4") and p-values.

const RATE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** "12 s", "3m20s", "2h5m", "3d4h": whole seconds, then the two largest units. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return String(sec);
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

/** The unit a rate per minute reads best in, its size in bytes, and the decimals to show. */
function rateUnit(bytesPerSec: number): { name: string; size: number; digits: number } {
  const last = RATE_UNITS.length - 1;
  let value = Math.abs(bytesPerSec * 60);
  let unit = 0;
  while (value >= 1024 && unit < last) {
    value /= 1024;
    unit++;
  }
  // 1023.7 KiB would round to "1024 KiB": say "1.0 MiB".
  if (unit < last && Number(value.toFixed(value < 10 ? 1 : 0)) >= 1024) {
    value /= 1024;
    unit++;
  }
  return { name: RATE_UNITS[unit] as string, size: 1024 ** unit, digits: value < 10 && unit > 0 ? 1 : 0 };
}

/** A slope in bytes per second as a rate per minute, the way users read a leak: "1.2 MiB/min". */
export function formatRate(bytesPerSec: number): string {
  const u = rateUnit(bytesPerSec);
  return `${((bytesPerSec * 60) / u.size).toFixed(u.digits)} ${u.name}/min`;
}

/** A confidence range of a slope, in the unit and precision of the slope itself: "1.0–1.4". */
export function formatRateRange(low: number, high: number, slope: number): string {
  const u = rateUnit(slope);
  return `${((low * 60) / u.size).toFixed(u.digits)}–${((high * 60) / u.size).toFixed(u.digits)}`;
}

/** "p < 0.001", else two significant digits: "p = 0.0042". */
export function formatP(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toPrecision(2)}`;
}
