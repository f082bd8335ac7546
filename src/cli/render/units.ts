// Sizes for tables, in the compact style of top and ps_mem: binary units, three significant
// digits, "-" for unknown. JSON never goes through here: it carries exact bytes.

const UNITS = ['B', 'K', 'M', 'G', 'T', 'P'];

export function compactBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || Number.isNaN(bytes)) return '-';
  if (bytes === Number.POSITIVE_INFINITY) return 'unlimited';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value}B`;
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${UNITS[unit]}`;
}

export function percent(value: number | null, digits = 1): string {
  return value === null ? '-' : value.toFixed(digits);
}

export function orDash(value: number | string | null | undefined): string {
  return value === null || value === undefined ? '-' : String(value);
}
