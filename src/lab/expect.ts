// Expected values and the tolerance each demo states for them. Pure: a Check is a range and the
// words for it; readings are judged against it when a step is recorded.
import { formatBytes } from '../analysis/format.js';
import type { Expectation, Reading, Unit } from './types.js';

export interface Check {
  expected: number;
  min: number;
  max: number;
  tolerance: string;
}

/** A count or size as users read it: "128,000", "512 MiB". */
export function formatValue(value: number, unit: Unit): string {
  if (unit === 'bytes') return value === 0 ? '0' : formatBytes(value);
  return Math.round(value).toLocaleString('en-US');
}

/** A change with its sign: "+500 MiB", "-3", "0". */
export function formatChange(value: number, unit: Unit): string {
  if (value === 0) return '0';
  return `${value > 0 ? '+' : '-'}${formatValue(Math.abs(value), unit)}`;
}

/**
 * `expected`, give or take the larger of `relative` (a fraction of it) and `absolute`:
 * within(size, { relative: 0.01, absolute: 256 * KiB }) is "±1%, at least 256 KiB".
 */
export function within(
  expected: number,
  tol: { relative?: number; absolute?: number },
  unit: Unit = 'bytes',
): Check {
  const relative = tol.relative ?? 0;
  const absolute = tol.absolute ?? 0;
  const slack = Math.max(Math.abs(expected) * relative, absolute);
  const abs = absolute > 0 ? formatValue(absolute, unit) : '';
  let tolerance: string;
  if (relative === 0 && absolute === 0) tolerance = 'exactly';
  else if (relative === 0) tolerance = `±${abs}`;
  else if (absolute === 0) tolerance = `±${relative * 100}%`;
  else tolerance = `±${relative * 100}% (at least ${abs})`;
  return { expected, min: expected - slack, max: expected + slack, tolerance };
}

export function exactly(expected: number): Check {
  return { expected, min: expected, max: expected, tolerance: 'exactly' };
}

/** Anything from 0 (or `min`) up to `max`: for "few", where the kernel's own work adds some. */
export function atMost(max: number, unit: Unit = 'count', min = 0): Check {
  return { expected: max, min, max, tolerance: `at most ${formatValue(max, unit)}` };
}

export function atLeast(min: number, unit: Unit = 'count'): Check {
  return {
    expected: min,
    min,
    max: Number.POSITIVE_INFINITY,
    tolerance: `at least ${formatValue(min, unit)}`,
  };
}

export function between(min: number, max: number, unit: Unit = 'count'): Check {
  return {
    expected: min,
    min,
    max,
    tolerance: `between ${formatValue(min, unit)} and ${formatValue(max, unit)}`,
  };
}

/** Judges a value against a check. Unknown values never meet one. */
export function judge(on: 'change' | 'after', check: Check, actual: number | null): Expectation {
  return {
    on,
    expected: check.expected,
    // JSON has no infinity: an open end is null.
    min: Number.isFinite(check.min) ? check.min : null,
    max: Number.isFinite(check.max) ? check.max : null,
    tolerance: check.tolerance,
    met: actual !== null && actual >= check.min && actual <= check.max,
  };
}

/**
 * The expected column of the human output. A change carries its sign ("+500 MiB ±5 MiB",
 * "≤ +64", "+1 to +2,048"); a value to reach does not ("= 8 MiB ±82 KiB", "≤ 163").
 */
export function describeExpectation(e: Expectation, unit: Unit): string {
  const show = (v: number) => (e.on === 'change' ? formatChange(v, unit) : formatValue(v, unit));
  if (e.tolerance === 'exactly') return e.on === 'change' ? show(e.expected) : `= ${show(e.expected)}`;
  const min = e.min ?? Number.NEGATIVE_INFINITY;
  const max = e.max ?? Number.POSITIVE_INFINITY;
  if (e.tolerance.startsWith('at most')) return `≤ ${show(max)}`;
  if (e.tolerance.startsWith('at least')) return `≥ ${show(min)}`;
  if (e.tolerance.startsWith('between')) return `${show(min)} to ${show(max)}`;
  const slack = `±${formatValue(max - e.expected, unit)}`;
  return e.on === 'change' ? `${show(e.expected)} ${slack}` : `= ${show(e.expected)} ${slack}`;
}

/** A reading being written by a demo: `reading(...).change(within(size, ...))`. */
export class ReadingBuilder {
  private expectation: Expectation | null = null;
  constructor(private readonly base: Omit<Reading, 'change' | 'expectation'>) {}

  /** The change over the step should meet `check`. */
  change(check: Check): ReadingBuilder {
    const { before, after } = this.base;
    this.expectation = judge('change', check, before === null || after === null ? null : after - before);
    return this;
  }

  /** The value after the step should meet `check`. */
  after(check: Check): ReadingBuilder {
    this.expectation = judge('after', check, this.base.after);
    return this;
  }

  build(): Reading {
    const { before, after } = this.base;
    return {
      ...this.base,
      change: before === null || after === null ? null : after - before,
      expectation: this.expectation,
    };
  }
}

export function reading(
  key: string,
  label: string,
  unit: Unit,
  source: string,
  pid: number | null,
  before: number | null,
  after: number | null,
): ReadingBuilder {
  return new ReadingBuilder({ key, label, unit, source, pid, before, after });
}
