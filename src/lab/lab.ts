// What a demo runs in: its helpers, temp files and cgroups (each registered for cleanup as it is
// created), the readings it records step by step, and the hooks through which the CLI shows each
// step, pauses and draws progress. runDemo() wraps one demo with cleanup on every way out.
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessSample } from '../collect/process.js';
import { privateDirProblem } from '../files/private-dir.js';
import type { ProcFs } from '../procfs/fs.js';
import { cacheDir, ensureLabDir, helperBinary, LabError } from './build.js';
import { Cleanups, onStopSignals, type StopSignal, signalExitCode } from './cleanup.js';
import type { ReadingBuilder } from './expect.js';
import { Helper, type Progress } from './helper.js';
import { sampleProcess } from './measure.js';
import { DEMO_PREFIX, removeStaleFolders } from './stale.js';
import type { DemoName, DemoProcess, DemoReport, DemoStep } from './types.js';

export const KiB = 1024;
export const MiB = 1024 * 1024;

export interface Demo {
  name: DemoName;
  /** The lesson in one line: "reserving address space costs no memory until it is touched". */
  title: string;
  /** Two or three sentences printed under the title: what will happen and how. */
  intro: string;
  /** What --size means for this demo, for the help and the list. */
  sizeMeans: string;
  defaultSize: number;
  minSize: number;
  /** RAM the demo makes resident at its peak for a size: checked against MemAvailable first. */
  memoryNeeded(size: number): number;
  /** Why it cannot run here (root, cgroups), checked before anything is created; null when it can. */
  unavailable?(fs: ProcFs): string | null;
  run(lab: Lab): Promise<void>;
}

export interface LabOptions {
  size: number;
  /** reserve: ask for transparent huge pages (MADV_HUGEPAGE). */
  thp: boolean;
}

/** How the CLI follows a demo. Every hook is optional: tests and --json need few of them. */
export interface LabHooks {
  /** A process was started (the CLI prints it in the header). */
  process?(p: DemoProcess): void;
  /** A step is done: show it. */
  step?(step: DemoStep): void;
  /** After a step is shown: resolve when the user wants the next one (--pause). */
  pause?(step: DemoStep): Promise<void>;
  /** A long action's progress; null when not to be shown. */
  progress?(label: string): Progress | null;
  /** The demo was interrupted and cleaned up; `removed` lists what the cleanups removed. */
  interrupted?(signal: StopSignal, removed: string[], failures: string[]): void;
}

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

export class Lab {
  readonly report: DemoReport;
  pageSize = 4096;
  private binary: string | null = null;

  constructor(
    readonly demo: Demo,
    readonly fs: ProcFs,
    readonly options: LabOptions,
    readonly cleanups: Cleanups,
    private readonly hooks: LabHooks,
  ) {
    this.report = {
      demo: demo.name,
      title: demo.title,
      sizeBytes: options.size,
      pageSizeBytes: this.pageSize,
      created: { processes: [], files: [], cgroups: [] },
      steps: [],
      expectations: { met: 0, total: 0 },
      passed: false,
      notes: [],
    };
  }

  get size(): number {
    return this.options.size;
  }

  /** Builds the helper (once, cached), starts a copy of it and registers its end. */
  async startHelper(role = 'helper'): Promise<Helper> {
    this.binary ??= helperBinary(this.demo.name);
    const helper = await Helper.start(this.binary);
    this.cleanups.add(
      `${role} pid ${helper.pid}`,
      () => helper.stop(),
      () => helper.killNow(),
    );
    this.pageSize = helper.pageSize;
    this.report.pageSizeBytes = helper.pageSize;
    this.addProcess(role, helper.pid);
    return helper;
  }

  /**
   * Records a process a helper forked. Killing its helper takes it along (stop() waits for it);
   * its own cleanup kills it first. Dismiss that once it has exited as the demo meant it to.
   */
  addForked(helper: Helper, role: string, pid: number): { dismiss(): void } {
    helper.adopt(pid);
    this.addProcess(role, pid);
    const kill = () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const item = this.cleanups.add(`${role} pid ${pid}`, kill, kill);
    return {
      dismiss: () => {
        helper.forget(pid);
        item.dismiss();
      },
    };
  }

  private addProcess(role: string, pid: number): void {
    const p = { role, pid };
    this.report.created.processes.push(p);
    this.hooks.process?.(p);
  }

  addCgroup(path: string): void {
    this.report.created.cgroups.push(path);
  }

  /**
   * A new folder for the demo's files, removed at the end. It must be on a disk: the page cache
   * of a tmpfs file cannot be dropped, so the temp dir is passed over when it is tmpfs or ramfs.
   */
  tempDir(): string {
    let base = tmpdir();
    try {
      const type = statfsSync(base).type;
      if (type === TMPFS_MAGIC || type === RAMFS_MAGIC) {
        base = cacheDir();
        ensureLabDir(base);
      }
    } catch {
      // statfs unsupported here: the temp dir it is
    }
    const dir = mkdtempSync(join(base, `${DEMO_PREFIX}${process.pid}-`));
    const remove = () => rmSync(dir, { recursive: true, force: true });
    this.cleanups.add(`folder ${dir}`, remove, remove);
    this.report.created.files.push(dir);
    return dir;
  }

  sample(pid: number): ProcessSample {
    return sampleProcess(this.fs, pid);
  }

  progress(label: string): Progress | undefined {
    return this.hooks.progress?.(label) ?? undefined;
  }

  note(text: string): void {
    this.report.notes.push(text);
  }

  /** Records a step, shows it and, with --pause, waits for the user. */
  async step(
    action: string,
    explanation: string,
    readings: ReadingBuilder[],
    extra: { notes?: string[]; pids?: number[]; oomKill?: DemoStep['oomKill'] } = {},
  ): Promise<void> {
    const step: DemoStep = {
      step: this.report.steps.length + 1,
      action,
      readings: readings.map((r) => r.build()),
      explanation,
      notes: extra.notes ?? [],
      pids: extra.pids ?? [],
    };
    if (extra.oomKill !== undefined) step.oomKill = extra.oomKill;
    this.report.steps.push(step);
    this.hooks.step?.(step);
    await this.hooks.pause?.(step);
  }
}

function finish(report: DemoReport): DemoReport {
  const all = report.steps.flatMap((s) => s.readings.flatMap((r) => (r.expectation ? [r.expectation] : [])));
  report.expectations = { met: all.filter((e) => e.met).length, total: all.length };
  report.passed = all.every((e) => e.met);
  return report;
}

/**
 * Runs one demo and returns its report. Whatever happens (the end, an error, SIGINT, SIGTERM or
 * SIGHUP) every process, file and cgroup it created is removed. A signal ends memlens from here,
 * once the cleanups are done, with the shell's code for it (130 for SIGINT): the demo's own
 * promise never settles then, so nothing else prints.
 */
export async function runDemo(
  demo: Demo,
  fs: ProcFs,
  options: LabOptions,
  hooks: LabHooks,
): Promise<DemoReport> {
  // What earlier runs killed by SIGKILL left, wherever tempDir() may have put it.
  removeStaleFolders(tmpdir());
  // The cache folder only if it is one of ours alone: a folder that fails the check is never used.
  if (privateDirProblem(cacheDir()) === null) removeStaleFolders(cacheDir());
  const cleanups = new Cleanups();
  let interrupted = false;
  const removeSignalHandlers = onStopSignals((signal) => {
    interrupted = true;
    const removed = cleanups.pending();
    void cleanups.runAll().then((failures) => {
      hooks.interrupted?.(
        signal,
        removed,
        failures.map((f) => `${f.label}: ${f.error}`),
      );
      process.exit(signalExitCode(signal));
    });
  });
  const lab = new Lab(demo, fs, options, cleanups, hooks);
  try {
    await demo.run(lab);
  } catch (err) {
    // The helper dying under a signal's cleanup surfaces here: the signal path reports instead.
    if (interrupted) await new Promise(() => {});
    await cleanups.runAll();
    removeSignalHandlers();
    throw err;
  }
  if (interrupted) await new Promise(() => {});
  const failures = await cleanups.runAll();
  removeSignalHandlers();
  if (failures.length > 0) {
    throw new LabError(
      `demo ${demo.name} could not clean up: ${failures.map((f) => `${f.label}: ${f.error}`).join('; ')}`,
    );
  }
  return finish(lab.report);
}
