// Flat-keyed cgroup files (memory.stat, memory.events, memory.oom_control) and single values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCgroupValue, parseFlatKeyed, parseFlatKeyedExact } from '../../src/procfs/cgroup_stat.js';
import { tableTests } from './_assert.js';
import { corpusFs, corpusText } from './_corpora.js';

const PATH = '/sys/fs/cgroup/x/memory.stat';

tableTests('parseFlatKeyed', PATH, (t) => [...parseFlatKeyed(t, PATH)], [
  [
    'v2 memory.stat',
    'anon 790425600\nfile 6502666240\n',
    [
      ['anon', 790425600],
      ['file', 6502666240],
    ],
  ],
  ['no final newline', 'oom_kill 3', [['oom_kill', 3]]],
  [
    'v1 unlimited is Infinity',
    'hierarchical_memory_limit 9223372036854771712\n',
    [['hierarchical_memory_limit', Infinity]],
  ],
  ['blank lines', '\nlow 0\n\n', [['low', 0]]],
  [
    'past 2^53 is Infinity: nothing real is that large, and a number would round',
    'rss 9007199254740993\n',
    [['rss', Infinity]],
  ],
  ['not a number', 'rss lots\n', 'error'],
  ['negative', 'rss -1\n', 'error'],
  ['three fields (numa_stat is not flat)', 'anon N0=1 N1=2\n', 'error'],
  ['a key alone', 'rss\n', 'error'],
]);

test('parseFlatKeyedExact keeps 2^63-ish values exact', () => {
  const m = parseFlatKeyedExact('hierarchical_memsw_limit 9223372036854771712\n', PATH);
  assert.equal(m.get('hierarchical_memsw_limit'), 9223372036854771712n);
});

tableTests(
  'parseCgroupValue',
  '/sys/fs/cgroup/x/memory.current',
  (t) => parseCgroupValue(t, '/sys/fs/cgroup/x/memory.current'),
  [
    ['bytes', '9125888\n', 9125888],
    ['max', 'max\n', Infinity],
    ['v1 unlimited', '9223372036854771712\n', Infinity],
    ['two values', '1 2\n', 'error'],
    ['empty', '\n', 'error'],
  ],
);

test('every flat-keyed and single-value memory file of the elastic cgroups parses', () => {
  const dirs = ['cgv1-docker-b29faf21', 'cgv2-docker-1c8fa019', 'cgv2-session-520-newkernel'];
  const flat = /^memory\.(stat|events|events\.local|swap\.events|oom_control)$/;
  const single =
    /^memory\.(current|peak|min|low|high|max|swap\.(current|max|peak|high)|zswap\.(current|max)|usage_in_bytes|max_usage_in_bytes|limit_in_bytes|soft_limit_in_bytes|failcnt|memsw\..*|kmem\..*)$/;
  let files = 0;
  for (const dir of dirs) {
    const fs = corpusFs(`external/elastic/${dir}`);
    for (const name of fs.list('.')) {
      if (name === 'memory.kmem.slabinfo') continue; // a table, not a value
      if (flat.test(name)) parseFlatKeyed(fs.readText(name), name);
      else if (single.test(name)) parseCgroupValue(fs.readText(name), name);
      else continue;
      files++;
    }
  }
  assert.ok(files >= 45, `${files} files`);
  // Newer kernels' files (memory.peak, memory.zswap.*) are values like the rest.
  const session = 'external/elastic/cgv2-session-520-newkernel';
  assert.equal(typeof parseCgroupValue(corpusText(`${session}/memory.peak`), 'memory.peak'), 'number');
  assert.equal(parseFlatKeyed(corpusText(`${session}/memory.events`), 'memory.events').has('oom_kill'), true);
});
