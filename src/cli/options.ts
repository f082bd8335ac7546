// Parsing of option values shared by the commands. Each failure is a UsageError (exit 2) whose
// message quotes the value and says what was expected.
import { UsageError } from './errors.js';

export function parseCount(value: string | undefined, option: string): number | null {
  if (value === undefined) return null;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`${option} takes a whole number of 1 or more, not "${value}"`);
  }
  return Number(value);
}

export function parseChoice<T extends string>(value: string, option: string, choices: readonly T[]): T {
  const v = value.toLowerCase();
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw new UsageError(`${option} takes one of ${choices.join(', ')}, not "${value}"`);
}

/** "/regex/flags" is a regular expression; anything else matches as a plain substring. */
export function parsePattern(value: string | undefined, option: string): RegExp | null {
  if (value === undefined) return null;
  const m = /^\/(.*)\/([a-z]*)$/.exec(value);
  if (m) {
    try {
      return new RegExp(m[1] as string, m[2]);
    } catch (err) {
      throw new UsageError(
        `${option} "${value}" is not a valid regular expression: ${(err as Error).message}`,
      );
    }
  }
  return new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** A PID as typed by a user: a positive integer within the kernel's pid range. */
export function parsePid(value: string): number | null {
  if (!/^\d+$/.test(value)) return null;
  const pid = Number(value);
  // PID_MAX_LIMIT is 2^22 on 64-bit kernels.
  return pid >= 1 && pid <= 4194304 ? pid : Number.NaN;
}
