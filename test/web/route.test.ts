// The dashboard's hash routes (web/src/route.ts): the three pages, and "not found" for anything
// else, a %-escape that does not decode included (decodeURIComponent throws URIError on it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRoute, type Route } from '../../web/src/route.js';

test('each hash gives its page; a broken or unknown one is not found, never an exception', () => {
  const cases: [string, Route][] = [
    ['', { page: 'overview' }],
    ['#', { page: 'overview' }],
    ['#/', { page: 'overview' }],
    ['#/process/42', { page: 'process', pid: 42 }],
    ['#/process/42/', { page: 'process', pid: 42 }],
    ['#/cgroup/%2Fsystem.slice%2Fa%20b.service', { page: 'cgroup', path: '/system.slice/a b.service' }],
    ['#/cgroup/%E2%9C%93', { page: 'cgroup', path: '\u2713' }],
    ['#/%E0%A4%A', { page: 'not-found', hash: '/%E0%A4%A' }],
    ['#/cgroup/%E0%A4%A', { page: 'not-found', hash: '/cgroup/%E0%A4%A' }],
    ['#/cgroup/%', { page: 'not-found', hash: '/cgroup/%' }],
    ['#/process/abc', { page: 'not-found', hash: '/process/abc' }],
    ['#/process/99999999999', { page: 'not-found', hash: '/process/99999999999' }],
    ['#/nothing', { page: 'not-found', hash: '/nothing' }],
  ];
  for (const [hash, route] of cases) assert.deepEqual(parseRoute(hash), route, hash);
});
