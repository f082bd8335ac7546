// Builds smaps regions in code for the analysis tests: one region from a few fields, runs of
// adjacent regions from sizes, and two realistic address spaces modelled on real processes
// (node 20 with a Worker and a WebAssembly.Memory, and a C program with six pthreads).

import { emptyFigures, type Region } from '../../src/procfs/smaps.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** A region with the given fields; Size follows start/end, the path decides `deleted`. */
export function makeRegion(partial: Partial<Region> = {}): Region {
  const start = partial.start ?? 0x7f0000000000n;
  const end = partial.end ?? start + 4096n;
  const path = partial.path ?? '';
  return {
    start,
    end,
    perms: 'rw-p',
    offset: 0n,
    device: path.startsWith('/') ? 'fd:01' : '00:00',
    inode: path.startsWith('/') ? 1234 : 0,
    path,
    deleted: path.endsWith(' (deleted)'),
    ...emptyFigures(),
    sizeBytes: Number(end - start),
    kernelPageSizeBytes: 4096,
    mmuPageSizeBytes: 4096,
    thpEligible: null,
    protectionKey: null,
    vmFlags: [],
    ...partial,
  };
}

/** One region of a run: its size in bytes and any other field. */
export type Part = Partial<Region> & { size: number };

/** Adjacent regions from `start`, each beginning where the previous one ends. */
export function run(start: bigint, parts: Part[]): Region[] {
  const out: Region[] = [];
  let at = start;
  for (const { size, ...rest } of parts) {
    out.push(makeRegion({ ...rest, start: at, end: at + BigInt(size) }));
    at += BigInt(size);
  }
  return out;
}

/** Regions of a 64 MiB glibc arena heap at an aligned address: rw-p in use, ---p the rest. */
export function arenaHeap(start: bigint, usedBytes = 132 * KiB, rssBytes = 8 * KiB): Region[] {
  return run(start, [
    { size: usedBytes, perms: 'rw-p', rssBytes, vmFlags: ['rd', 'wr', 'mr', 'mw', 'me', 'nr'] },
    { size: 64 * MiB - usedBytes, perms: '---p', vmFlags: ['mr', 'mw', 'me', 'nr'] },
  ]);
}

/** A pthread stack as glibc maps it: a one-page guard below the stack. */
export function pthreadStack(start: bigint, sizeBytes = 8 * MiB, rssBytes = 8 * KiB): Region[] {
  return run(start, [
    { size: 4 * KiB, perms: '---p', vmFlags: ['mr', 'mw', 'me', 'nh'] },
    { size: sizeBytes, perms: 'rw-p', rssBytes, vmFlags: ['rd', 'wr', 'mr', 'mw', 'me', 'ac', 'nh'] },
  ]);
}

const V8 = ['mr', 'mw', 'me', 'dc', 'nr'];

/** A V8 code range of 512 MiB, with its builtins remapped from the executable near its end. */
export function v8CodeRange(start: bigint, exe = '/usr/bin/node', codePerms = 'rwxp'): Region[] {
  return run(start, [
    { size: 8 * KiB, perms: 'rw-p', rssBytes: 8 * KiB, vmFlags: ['rd', 'wr', ...V8] },
    { size: 4 * KiB, perms: '---p', vmFlags: V8 },
    { size: 240 * KiB, perms: codePerms, rssBytes: 28 * KiB, vmFlags: ['rd', 'wr', 'ex', ...V8] },
    { size: 522244 * KiB, perms: '---p', vmFlags: V8 },
    {
      size: 1608 * KiB,
      perms: 'r-xp',
      path: exe,
      rssBytes: 768 * KiB,
      vmFlags: ['rd', 'ex', 'mr', 'mw', 'me'],
    },
    { size: 184 * KiB, perms: '---p', vmFlags: V8 },
  ]);
}

/** The shared-object mappings of one library: headers, code, relro, data. */
export function library(start: bigint, path: string, rssBytes = 64 * KiB, pssBytes = rssBytes): Region[] {
  const rss = rssBytes / 4;
  const pss = pssBytes / 4;
  return run(start, [
    { size: 152 * KiB, perms: 'r--p', path, rssBytes: rss, pssBytes: pss, sharedCleanBytes: rss },
    { size: 1368 * KiB, perms: 'r-xp', path, rssBytes: rss, pssBytes: pss, sharedCleanBytes: rss },
    { size: 332 * KiB, perms: 'r--p', path, rssBytes: rss, pssBytes: pss, sharedCleanBytes: rss },
    { size: 16 * KiB, perms: 'rw-p', path, rssBytes: rss, pssBytes: pss, privateDirtyBytes: rss },
  ]);
}

function kernelPages(start: bigint): Region[] {
  return run(start, [
    { size: 16 * KiB, perms: 'r--p', path: '[vvar]' },
    { size: 8 * KiB, perms: 'r--p', path: '[vvar_vclock]' },
    { size: 8 * KiB, perms: 'r-xp', path: '[vdso]', rssBytes: 4 * KiB },
  ]);
}

const MAIN_STACK: Partial<Region> = {
  perms: 'rw-p',
  path: '[stack]',
  vmFlags: ['rd', 'wr', 'mr', 'mw', 'me', 'gd', 'ac'],
};

/**
 * node 20 with one Worker and one WebAssembly.Memory, as its smaps showed it on x86_64 (trimmed):
 * 4 arena heaps, 2 code ranges (main isolate and the Worker's), a 10 GiB wasm reservation with
 * V8's negative guard, 7 thread stacks plus [stack] for 8 threads.
 */
export function nodeLikeLayout(): Region[] {
  return [
    ...run(0x400000n, [
      { size: 7612 * KiB, perms: 'r--p', path: '/usr/bin/node', rssBytes: 5944 * KiB },
      { size: 27192 * KiB, perms: 'r-xp', path: '/usr/bin/node', rssBytes: 17020 * KiB },
      { size: 124 * KiB, perms: 'rw-p', path: '/usr/bin/node', rssBytes: 124 * KiB },
      { size: 176 * KiB, perms: 'rw-p', rssBytes: 96 * KiB },
    ]),
    makeRegion({
      start: 0x1c7c9000n,
      end: 0x1c7c9000n + BigInt(2828 * KiB),
      path: '[heap]',
      rssBytes: 2712 * KiB,
    }),
    ...run(0x15454900000n, [{ size: 256 * KiB, rssBytes: 8 * KiB, vmFlags: ['rd', 'wr', ...V8] }]),
    ...arenaHeap(0x7f06a8000000n, 132 * KiB, 32 * KiB),
    ...v8CodeRange(0x7f06b0000000n),
    ...arenaHeap(0x7f06d0000000n, 792 * KiB, 760 * KiB),
    ...arenaHeap(0x7f06d4000000n),
    // The WebAssembly memory: 2 GiB negative guard, one 64 KiB page, the 8 GiB guard.
    ...run(0x7f06d8000000n, [
      { size: 2 * GiB, perms: '---p', vmFlags: V8 },
      { size: 64 * KiB, perms: 'rw-p', vmFlags: ['rd', 'wr', ...V8] },
      { size: 8 * GiB - 64 * KiB, perms: '---p', vmFlags: V8 },
    ]),
    ...v8CodeRange(0x7f0958000000n),
    ...arenaHeap(0x7f0978000000n),
    ...pthreadStack(0x7f097d557000n, 4 * MiB, 36 * KiB),
    ...run(0x7f097d979000n, [
      { size: 16 * KiB, rssBytes: 0, vmFlags: ['rd', 'wr', ...V8] },
      { size: 496 * KiB, perms: '---p', vmFlags: V8 },
    ]),
    ...pthreadStack(0x7f097d9f9000n),
    ...pthreadStack(0x7f097e1fa000n),
    ...pthreadStack(0x7f097e9fb000n),
    ...pthreadStack(0x7f097f1fc000n),
    ...pthreadStack(0x7f097f9fd000n, 8 * MiB, 16 * KiB),
    ...library(0x7f09801fe000n, '/usr/lib/x86_64-linux-gnu/libc.so.6', 1352 * KiB, 200 * KiB),
    ...library(0x7f0980400000n, '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', 1464 * KiB, 400 * KiB),
    ...pthreadStack(0x7f0980715000n, 32 * KiB, 8 * KiB),
    ...kernelPages(0x7f0980720000n),
    ...library(0x7f0980728000n, '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 208 * KiB, 40 * KiB),
    makeRegion({ ...MAIN_STACK, start: 0x7fffe572f000n, end: 0x7fffe5750000n, rssBytes: 60 * KiB }),
    makeRegion({ start: 0xffffffffff600000n, end: 0xffffffffff601000n, perms: '--xp', path: '[vsyscall]' }),
  ];
}

/** A C program (/tmp/t) whose six pthreads each malloc'd: six arena heaps, six stacks. */
export function glibcThreadsLayout(): Region[] {
  const stacks: Region[] = [];
  for (let i = 0; i < 6; i++) stacks.push(...pthreadStack(0x7faafcdfd000n + BigInt(i) * 0x801000n));
  return [
    ...run(0x563e621ae000n, [
      { size: 4 * KiB, perms: 'r--p', path: '/tmp/t', rssBytes: 4 * KiB },
      { size: 4 * KiB, perms: 'r-xp', path: '/tmp/t', rssBytes: 4 * KiB },
      { size: 8 * KiB, perms: 'r--p', path: '/tmp/t', rssBytes: 8 * KiB },
      { size: 4 * KiB, perms: 'rw-p', path: '/tmp/t', rssBytes: 4 * KiB },
    ]),
    makeRegion({ start: 0x563e8d6f7000n, end: 0x563e8d718000n, path: '[heap]', rssBytes: 4 * KiB }),
    ...[
      0x7faae0000000n,
      0x7faae8000000n,
      0x7faaec000000n,
      0x7faaf0000000n,
      0x7faaf4000000n,
      0x7faaf8000000n,
    ].flatMap((start) => arenaHeap(start)),
    ...stacks,
    ...library(0x7faaffe06000n, '/usr/lib/x86_64-linux-gnu/libc.so.6', 1268 * KiB, 300 * KiB),
    ...kernelPages(0x7faaffff3000n),
    ...library(0x7faaffffb000n, '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 212 * KiB, 50 * KiB),
    makeRegion({ ...MAIN_STACK, start: 0x7ffd2b9b6000n, end: 0x7ffd2b9d7000n, rssBytes: 12 * KiB }),
    makeRegion({ start: 0xffffffffff600000n, end: 0xffffffffff601000n, perms: '--xp', path: '[vsyscall]' }),
  ];
}
