#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (through tsx, so tests need no build).
// Node 20's --test does not expand globs itself, hence this file. Extra arguments narrow the run:
// `node scripts/run-tests.mjs test/procfs` runs only the files under that path.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) {
      if (entry === 'fixtures' || entry === 'node_modules') continue;
      collect(join(path, entry), out);
    }
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error('No test files found under', roots.join(', ') || 'test');
  process.exit(1);
}
// A test that hangs fails after 5 minutes rather than holding CI until its own limit; the
// longest tests (a minute of leak watching, a real Prometheus) take under three.
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=300000', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
