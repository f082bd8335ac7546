#!/usr/bin/env node
// Builds the dashboard (web/) into dist/web/, which `memlens serve` serves at /: index.html, one
// JavaScript bundle (app.js, uPlot included) and one stylesheet (app.css, uPlot's included). Every
// asset is local, so the dashboard works with no network. `--dev` skips minifying.
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'web');
const dev = process.argv.includes('--dev');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: { app: 'web/src/main.ts' },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: !dev,
  sourcemap: dev,
  legalComments: 'linked',
  logLevel: 'warning',
});
await build({
  absWorkingDir: root,
  entryPoints: { app: 'web/src/styles.css' },
  outdir: out,
  bundle: true,
  minify: !dev,
  logLevel: 'warning',
});
copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));

const sizes = ['index.html', 'app.js', 'app.css']
  .map((f) => `${f} ${(statSync(join(out, f)).size / 1024).toFixed(1)} KiB`)
  .join(', ');
console.log(`dashboard built into dist/web: ${sizes}`);
