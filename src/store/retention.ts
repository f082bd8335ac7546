// Retention tiers: how long the history keeps samples at which resolution. The finest tier holds
// the ticks as written; each coarser one is rolled up from the one before it by History.compact().

import { HistoryError } from './errors.js';

/** One resolution: samples `stepSec` apart, kept for `keepSec`. */
export interface RetentionTier {
  stepSec: number;
  keepSec: number;
}

/** 1 s for an hour, 1 min for a week, 10 min for 90 days. */
export const DEFAULT_RETENTION: readonly RetentionTier[] = Object.freeze([
  Object.freeze({ stepSec: 1, keepSec: 3600 }),
  Object.freeze({ stepSec: 60, keepSec: 7 * 86400 }),
  Object.freeze({ stepSec: 600, keepSec: 90 * 86400 }),
]);

/**
 * Checks the tiers and returns a frozen copy. Steps are whole seconds (a tier is stored under its
 * step), strictly increasing, each a multiple of the one before so buckets nest; each tier keeps
 * at least one bucket of the next, and longer than the tier before it.
 */
export function validateRetention(tiers: readonly RetentionTier[]): readonly RetentionTier[] {
  if (tiers.length === 0) throw new HistoryError('E_RETENTION', 'Retention needs at least one tier');
  const out: RetentionTier[] = [];
  for (const [i, tier] of tiers.entries()) {
    const { stepSec, keepSec } = tier;
    if (!Number.isSafeInteger(stepSec) || stepSec < 1)
      throw new HistoryError(
        'E_RETENTION',
        `Retention tier ${i + 1}: step "${stepSec}" must be whole seconds >= 1`,
      );
    if (!Number.isSafeInteger(keepSec) || keepSec < stepSec)
      throw new HistoryError(
        'E_RETENTION',
        `Retention tier ${i + 1}: keep "${keepSec}" must be whole seconds >= its step (${stepSec} s)`,
      );
    const prev = out[i - 1];
    if (prev) {
      if (stepSec <= prev.stepSec || stepSec % prev.stepSec !== 0)
        throw new HistoryError(
          'E_RETENTION',
          `Retention tier ${i + 1}: step ${stepSec} s must be a larger multiple of the previous step (${prev.stepSec} s)`,
        );
      if (keepSec <= prev.keepSec)
        throw new HistoryError(
          'E_RETENTION',
          `Retention tier ${i + 1}: keep ${keepSec} s must be longer than the previous tier's (${prev.keepSec} s)`,
        );
      if (prev.keepSec < stepSec)
        throw new HistoryError(
          'E_RETENTION',
          `Retention tier ${i}: keep ${prev.keepSec} s must hold at least one ${stepSec} s bucket of the next tier`,
        );
    }
    out.push(Object.freeze({ stepSec, keepSec }));
  }
  return Object.freeze(out);
}

const UNITS: readonly [number, string][] = [
  [86400, 'd'],
  [3600, 'h'],
  [60, 'min'],
];

/** 1 -> "1 s", 60 -> "1 min", 604800 -> "7 d", 90 -> "90 s": the largest unit that divides. */
export function formatDurationSec(sec: number): string {
  for (const [size, unit] of UNITS) if (sec >= size && sec % size === 0) return `${sec / size} ${unit}`;
  return `${sec} s`;
}

/** "1 s for 1 h, 1 min for 7 d, 10 min for 90 d" */
export function describeRetention(tiers: readonly RetentionTier[]): string {
  return tiers.map((t) => `${formatDurationSec(t.stepSec)} for ${formatDurationSec(t.keepSec)}`).join(', ');
}
