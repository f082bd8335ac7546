// What every command starts from: the ProcFs root, checked to be a Linux /proc, and the output
// mode. Kept apart from main.ts so commands can be loaded lazily and tested directly.
import { existsSync } from 'node:fs';
import { createProcFs, type ProcFs } from '../procfs/fs.js';
import { RuntimeError } from './errors.js';

export interface GlobalOptions {
  root?: string;
  debug?: boolean;
}

export interface Context {
  fs: ProcFs;
  /** The live machine's /proc (not a fixture tree): live-only facts such as the page size apply. */
  live: boolean;
  pageSize: number;
}

export function createContext(opts: GlobalOptions): Context {
  const root = opts.root ?? '/';
  if (opts.root === undefined && process.platform !== 'linux') {
    throw new RuntimeError(
      `memlens reads Linux's /proc and this is ${process.platform}; run it on the Linux host or in the container`,
    );
  }
  const fs = createProcFs(root);
  if (!existsSync(fs.path('proc', 'meminfo'))) {
    throw new RuntimeError(
      opts.root === undefined
        ? 'no /proc here: mount it (mount -t proc proc /proc) or run memlens where /proc is mounted'
        : `no proc/meminfo under "${root}": --root must name a folder that holds a captured proc/ tree`,
    );
  }
  // x86_64 and most arm64 kernels use 4 KiB pages; the fixtures were captured on such machines.
  return { fs, live: opts.root === undefined, pageSize: 4096 };
}
