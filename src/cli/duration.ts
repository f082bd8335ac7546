// Durations as users type them: "500ms", "1s", "90", "5m", "1h" (a bare number is seconds).
import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, or null when the option was not given. */
export function parseDuration(value: string | undefined, option: string): number | null {
  if (value === undefined) return null;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * (UNITS[m[2] ?? 's'] as number) : Number.NaN;
  if (!(seconds > 0) || !Number.isFinite(seconds)) {
    throw new UsageError(`${option} takes a duration such as 500ms, 10s, 5m or 1h, not "${value}"`);
  }
  return seconds;
}
