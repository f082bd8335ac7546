// Findings as text, the same way in every command: severity, the one-line summary, why, and
// what to do.
import type { Finding } from '../../analysis/findings.js';

/** Lines for a "Findings" section, or none when there is nothing to say. */
export function findingLines(findings: Finding[]): string[] {
  if (findings.length === 0) return [];
  const out = ['', 'Findings'];
  for (const f of findings) {
    out.push(`  [${f.severity}] ${f.summary}`);
    out.push(`      ${f.detail}`);
    if (f.advice) out.push(`      What to do: ${f.advice}`);
  }
  return out;
}
