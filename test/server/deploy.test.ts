// What deploy/ ships for fleets: the rules pass promtool's checks and their unit tests, the
// scrape config is a valid Prometheus config with those rules, and the Grafana dashboard only
// uses series memlens exports (or the shipped rules record).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { metricNames } from '../../src/server/metrics.js';
import { tempDir } from './serve-helper.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const PROM = join(DEPLOY, 'prometheus');
const skip =
  spawnSync('promtool', ['--version']).status !== 0
    ? 'promtool is not installed (Debian: prometheus)'
    : false;
const tmp = tempDir('deploy');
after(() => tmp.remove());

function promtool(args: string[], cwd = PROM): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('rules.yml passes promtool check rules, with no lint problems', { skip }, () => {
  const r = promtool(['check', 'rules', 'rules.yml']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS: \d+ rules found/);
  assert.doesNotMatch(r.out, /WARNING|lint/i);
});

test("rules.yml's alerts fire as their unit tests say (promtool test rules)", { skip }, () => {
  const r = promtool(['test', 'rules', 'rules.test.yml']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

test('scrape.yml is a valid config with the rules (promtool check config)', { skip }, () => {
  // The example reads the token from /etc/prometheus; promtool checks that the file exists.
  const token = join(tmp.dir, 'memlens.token');
  writeFileSync(token, 'a-token-for-the-check', { mode: 0o600 });
  const text = readFileSync(join(PROM, 'scrape.yml'), 'utf8')
    .replace('/etc/prometheus/memlens.token', token)
    .replace(/- rules\.yml/, `- ${join(PROM, 'rules.yml')}`);
  assert.notEqual(text, readFileSync(join(PROM, 'scrape.yml'), 'utf8'));
  writeFileSync(join(tmp.dir, 'prometheus.yml'), text);
  const r = promtool(['check', 'config', join(tmp.dir, 'prometheus.yml')], tmp.dir);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS: 1 rule files found/);
});

test("the Grafana dashboard queries only memlens's metrics and the shipped recording rules", () => {
  const dash = JSON.parse(readFileSync(join(DEPLOY, 'grafana', 'memlens-dashboard.json'), 'utf8'));
  const known = new Set<string>(Object.values(metricNames));
  for (const m of readFileSync(join(PROM, 'rules.yml'), 'utf8').matchAll(/record: (\S+)/g))
    known.add(m[1] as string);
  const ids = new Set<number>();
  let queries = 0;
  for (const panel of dash.panels as { id: number; title: string; targets?: { expr: string }[] }[]) {
    assert.ok(!ids.has(panel.id), `panel id ${panel.id} is unique`);
    ids.add(panel.id);
    for (const { expr } of panel.targets ?? []) {
      queries++;
      for (const name of expr.match(/\b(?:memlens_|instance:|cgroup:|program:)[a-z_:]+/g) ?? []) {
        assert.ok(
          known.has(name),
          `${panel.title}: "${name}" is exported by memlens or recorded by rules.yml`,
        );
      }
    }
  }
  assert.ok(queries >= 15);
  const vars = dash.templating.list.map((v: { name: string }) => v.name);
  assert.deepEqual(vars, ['datasource', 'instance', 'top']);
  // Every series family memlens exports is on the dashboard somewhere, except its own health.
  const text = JSON.stringify(dash.panels);
  const unused = Object.values(metricNames).filter(
    (n) =>
      !text.includes(n) &&
      !/^memlens_(processes|sampler_|process_(rss|virtual|swap|minor)|program_(uss|swap))/.test(n),
  );
  assert.deepEqual(unused, []);
});
