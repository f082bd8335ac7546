// Every value that node_exporter, gopsutil, psutil, cadvisor, elastic, containerd and
// opencontainers expect of their fixtures (corpora/external-expected.json), reproduced by our
// parsers. Driven by the JSON: each entry is a test, checked below or listed in SKIPPED with the
// reason, and an entry that is neither fails.
import assert from 'node:assert/strict';
import { parseLimit, readOwnLimit } from '../../src/procfs/cgroup_memory.js';
import { parseCgroupValue, parseFlatKeyed, parseFlatKeyedExact } from '../../src/procfs/cgroup_stat.js';
import { parseMeminfo } from '../../src/procfs/meminfo.js';
import { type Pressure, parsePressure } from '../../src/procfs/pressure.js';
import { parseSmaps, type RegionFigures } from '../../src/procfs/smaps.js';
import { rollupFromSmaps, ussBytes } from '../../src/procfs/smaps_rollup.js';
import {
  assertExact,
  type Checker,
  corpusFs,
  corpusText,
  expectedValue,
  type Json,
  loadExpected,
  NotChecked,
  runExpectations,
} from './_corpora.js';

const expected = loadExpected('external-expected.json');
const ext = (rel: string) => `external/${rel}`;

/** A check per sub-key of one group ("fields", "memory.stat", ...); other keys are not checked. */
function groups(byGroup: Record<string, (sub: string, payload: Json) => void>): Checker {
  return (key, payload) => {
    const dot = key.indexOf('.');
    const group = dot === -1 ? key : key.slice(0, dot);
    // Group names themselves contain dots ("memory.stat"): try the longest known prefix first.
    const name = Object.keys(byGroup)
      .sort((a, b) => b.length - a.length)
      .find((g) => key === g || key.startsWith(`${g}.`));
    const check = name === undefined ? undefined : byGroup[name];
    if (!check || name === undefined) throw new NotChecked(group);
    check(key.slice(name.length + 1), payload);
  };
}

function meminfoFields(rel: string) {
  const meminfo = parseMeminfo(corpusText(rel), rel);
  return (key: string, payload: Json) => {
    const value = meminfo.values.get(key);
    assert.notEqual(value, undefined, `meminfo has ${key}`);
    const entry = payload as { value: Json; raw_kB?: number | null };
    if (typeof entry.raw_kB === 'number') assert.equal(entry.raw_kB * 1024, entry.value, 'JSON self-check');
    assertExact(value ?? null, expectedValue(payload), key);
  };
}

/** gopsutil's own derived figures, recomputed from our values: they show the inputs are right. */
function gopsutilDerived(rel: string) {
  const v = parseMeminfo(corpusText(rel), rel).values;
  const get = (k: string) => {
    const x = v.get(k);
    assert.notEqual(x, undefined, k);
    return x as number;
  };
  return (key: string, payload: Json) => {
    const used = get('MemTotal') - get('MemAvailable');
    if (key === 'Used') assert.equal(used, payload);
    else if (key === 'UsedPercent')
      assert.ok(Math.abs((used / get('MemTotal')) * 100 - (payload as number)) < 1e-9);
    else if (key === 'Cached(gopsutil=Cached+SReclaimable)')
      assert.equal(get('Cached') + get('SReclaimable'), payload);
    else throw new NotChecked(key);
  };
}

const SMAPS_KEYS: Record<string, keyof RegionFigures> = {
  Size: 'sizeBytes',
  Rss: 'rssBytes',
  Pss: 'pssBytes',
  Shared_Clean: 'sharedCleanBytes',
  Shared_Dirty: 'sharedDirtyBytes',
  Private_Clean: 'privateCleanBytes',
  Private_Dirty: 'privateDirtyBytes',
  Referenced: 'referencedBytes',
  Anonymous: 'anonymousBytes',
  Swap: 'swapBytes',
};

function pressureOf(text: string, path: string) {
  return (key: string, payload: Json) => {
    const psi: Pressure = parsePressure(text, path);
    const line = psi[key as 'some' | 'full'];
    if (key !== 'some' && key !== 'full') throw new NotChecked(key);
    assert.ok(line, `${key} line`);
    const actual = [line.avg10, line.avg60, line.avg300, line.totalMicros];
    if (Array.isArray(payload)) assert.deepEqual(actual, payload);
    else {
      const p = payload as Record<string, number>;
      assert.deepEqual(actual, [p.avg10, p.avg60, p.avg300, p.total]);
    }
  };
}

/** A cgroup file's value: exact when the JSON holds a bigint, and Infinity in the model then. */
function cgroupFile(rel: string, file: string, payload: Json): void {
  const text = corpusText(`${rel}/${file}`);
  const value = parseCgroupValue(text, file);
  if (typeof payload === 'bigint') {
    assert.equal(BigInt(text.trim()), payload, `${file} exact`);
    assert.equal(value, Infinity, `${file} is "no limit"`);
    assert.equal(parseLimit(text, file), Infinity);
  } else {
    assert.equal(value, payload, file);
  }
}

function flatKeyed(rel: string) {
  const text = corpusText(rel);
  const values = parseFlatKeyed(text, rel);
  const exact = parseFlatKeyedExact(text, rel);
  return (key: string, payload: Json) => {
    assert.ok(values.has(key), `${rel} has ${key}`);
    assert.equal(exact.get(key), BigInt(payload as number | bigint), `${key} exact`);
    // v1's "no limit" (PAGE_COUNTER_MAX pages) is Infinity in the model.
    assert.equal(values.get(key), typeof payload === 'bigint' ? Infinity : payload, key);
  };
}

const checkers: Record<string, Checker> = {
  'node_exporter/proc/meminfo': groups({ fields: meminfoFields('node_exporter/proc/meminfo') }),
  'node_exporter/proc/pressure/memory': groups({
    fields: (key, payload) => {
      const psi = parsePressure(corpusText('node_exporter/proc/pressure/memory'), 'memory');
      // node_exporter's counters are the "total" microseconds in seconds.
      const line = {
        node_pressure_memory_waiting_seconds_total: psi.some,
        node_pressure_memory_stalled_seconds_total: psi.full,
      }[key as 'node_pressure_memory_waiting_seconds_total'];
      if (line === undefined) throw new NotChecked(key);
      assert.ok(line);
      assert.equal(line.totalMicros / 1e6, expectedValue(payload));
    },
  }),
  'gopsutil/meminfo-intelcorei5/meminfo': groups({
    fields: meminfoFields(ext('gopsutil/meminfo-intelcorei5/meminfo')),
    'gopsutil_derived(not raw)': gopsutilDerived(ext('gopsutil/meminfo-intelcorei5/meminfo')),
  }),
  'gopsutil/meminfo-issue1002/meminfo': groups({
    fields: meminfoFields(ext('gopsutil/meminfo-issue1002/meminfo')),
    'gopsutil_derived(not raw)': gopsutilDerived(ext('gopsutil/meminfo-issue1002/meminfo')),
  }),
  'gopsutil/meminfo-anonhugepages/meminfo': groups({
    fields: meminfoFields(ext('gopsutil/meminfo-anonhugepages/meminfo')),
    'gopsutil_derived(not raw)': gopsutilDerived(ext('gopsutil/meminfo-anonhugepages/meminfo')),
  }),
  'gopsutil/proc1/smaps': (key, payload) => {
    if (key !== 'entries') throw new NotChecked(key);
    const smaps = parseSmaps(corpusText(ext('gopsutil/proc1/smaps')), 'smaps');
    const entries = payload as Array<Record<string, Json>>;
    assert.equal(smaps.regions.length, entries.length);
    entries.forEach((e, i) => {
      const r = smaps.regions[i];
      assert.ok(r);
      for (const [k, v] of Object.entries(e)) {
        if (k === 'path') {
          assert.equal(r.path, v, `region ${i} path`);
          continue;
        }
        const field = SMAPS_KEYS[k];
        assert.ok(field, `region ${i}: unknown key ${k}`);
        // A key missing from the block reads as 0 (gopsutil's rule, and ours).
        assert.equal(r[field], (v as number) * 1024, `region ${i} ${k}`);
      }
    });
  },
  'psutil/smaps_mocked': groups({
    fields: (key, payload) => {
      const rollup = rollupFromSmaps(parseSmaps(corpusText(ext('psutil/smaps_mocked')), 'smaps'));
      const actual = {
        uss: ussBytes(rollup),
        pss: rollup.pssBytes,
        // psutil's "swap" is the Swap key (15 kB), not SwapPss (16 kB).
        swap: rollup.swapBytes,
      }[key as 'uss'];
      if (actual === undefined) throw new NotChecked(key);
      assert.equal(actual, expectedValue(payload));
    },
  }),
  'cadvisor/smaps{4,6,8}': groups({
    fields: (key, payload) => {
      if (key !== 'sum_of_Referenced_over_all_VMAs_of_pids_4_6_8') throw new NotChecked(key);
      const perFile = (payload as { per_file_kB: Record<string, number> }).per_file_kB;
      let total = 0;
      for (const [file, kB] of Object.entries(perFile)) {
        const rollup = rollupFromSmaps(parseSmaps(corpusText(ext(`cadvisor/${file}`)), file));
        assert.equal(rollup.referencedBytes, kB * 1024, file);
        total += rollup.referencedBytes;
      }
      assert.deepEqual(Object.keys(perFile).sort(), ['smaps4', 'smaps6', 'smaps8']);
      assert.equal(total, expectedValue(payload));
    },
  }),
  'cadvisor/cgroup_v1/test1/memory': groups({
    fields: (key, payload) => {
      const fs = corpusFs('external/cadvisor/cgroup_v1/test1/memory');
      if (key === 'memory.limit_in_bytes') assert.equal(readOwnLimit(fs, '.', 1), payload);
      else cgroupFile(ext('cadvisor/cgroup_v1/test1/memory'), key, payload);
    },
  }),
  'cadvisor/cgroup_v2/test1': groups({
    fields: (key, payload) => {
      const file = key.replace(/ \(.*\)$/, '');
      if (file === 'memory.max')
        assert.equal(readOwnLimit(corpusFs(ext('cadvisor/cgroup_v2/test1')), '.', 2), payload);
      else cgroupFile(ext('cadvisor/cgroup_v2/test1'), file, payload);
    },
  }),
  'cadvisor/cgroup_v2/test2': groups({
    fields: (key, payload) => {
      // cadvisor turns "max" into math.MaxUint64; our model for "no limit" is Infinity.
      assert.match(payload as string, /^max -> /);
      assert.equal(corpusText(ext(`cadvisor/cgroup_v2/test2/${key}`)).trim(), 'max');
      assert.equal(parseCgroupValue(corpusText(ext(`cadvisor/cgroup_v2/test2/${key}`)), key), Infinity);
      if (key === 'memory.max')
        assert.equal(readOwnLimit(corpusFs(ext('cadvisor/cgroup_v2/test2')), '.', 2), Infinity);
    },
  }),
  'elastic/cgv1-docker-b29faf21': groups({
    'memory.stat': flatKeyed(ext('elastic/cgv1-docker-b29faf21/memory.stat')),
    files: (key, payload) => cgroupFile(ext('elastic/cgv1-docker-b29faf21'), key, payload),
  }),
  'elastic/cgv2-docker-1c8fa019': groups({
    fields: (key, payload) => {
      const dir = ext('elastic/cgv2-docker-1c8fa019');
      if (key === 'memory.current' || key === 'memory.low') return cgroupFile(dir, key, payload);
      if (key === 'memory.pressure') {
        const check = pressureOf(corpusText(`${dir}/memory.pressure`), 'memory.pressure');
        for (const [kind, line] of Object.entries(payload as Record<string, Json>)) check(kind, line);
        return;
      }
      const m = /^(memory\.(?:events|stat))\.(.+)$/.exec(key);
      if (!m) throw new NotChecked(key);
      const [, file, stat] = m as unknown as [string, string, string];
      assert.equal(parseFlatKeyed(corpusText(`${dir}/${file}`), file).get(stat), payload, key);
    },
  }),
  'elastic (cgroup-level PSI, inline in cgv2/v2_test.go:TestGetMemPressure)': (() => {
    const fixture =
      expected.fixtures['elastic (cgroup-level PSI, inline in cgv2/v2_test.go:TestGetMemPressure)'];
    // The input is written with escaped newlines ("\\n") in the JSON.
    const input = String(fixture?.input).replaceAll('\\n', '\n');
    return groups({ fields: pressureOf(input, 'memory.pressure') });
  })(),
  'containerd/v1_memory.stat': groups({
    fields: flatKeyed(ext('containerd/v1_memory.stat')),
    oom_control: flatKeyed(ext('containerd/v1_memory.oom_control')),
  }),
  'opencontainers/v2_memory.stat': groups({
    fields: (key, payload) => {
      const stat = parseFlatKeyed(corpusText(ext('opencontainers/v2_memory.stat')), 'memory.stat');
      const actual = key === 'anon+file' ? (stat.get('anon') ?? 0) + (stat.get('file') ?? 0) : stat.get(key);
      assert.equal(actual, payload, key);
    },
  }),
};

/** Entries deliberately not checked, with why. Everything else in the file must be checked. */
const SKIPPED: Record<string, Record<string, string>> = {};

runExpectations(expected, true, checkers, SKIPPED);
