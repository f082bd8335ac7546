// memlens demo <name>: the lessons of virtual memory as live experiments on this machine's kernel.
// The lab (src/lab) runs them; this file parses the options, shows each step as it completes,
// pauses, draws progress on a terminal, and turns the lab's errors into the CLI's.
import { createInterface, type Interface } from 'node:readline';
import { formatBytes } from '../../analysis/format.js';
import {
  DEMO_NAMES,
  DEMOS,
  type DemoReport,
  type DemoStep,
  LabError,
  type LabHooks,
  LabUnavailableError,
  MiB,
  renderHeader,
  renderStep,
  renderSummary,
  runDemo,
} from '../../lab/index.js';
import type { DemoName } from '../../lab/types.js';
import { readMeminfo } from '../../procfs/meminfo.js';
import { createContext, type GlobalOptions } from '../context.js';
import { RuntimeError, UsageError } from '../errors.js';
import { renderTable } from '../render/table.js';
import { printText, terminalText } from '../render/terminal.js';

interface DemoCliOptions {
  size?: string;
  pause?: boolean;
  thp?: boolean;
  json?: boolean;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: MiB, G: 1024 * MiB, T: 1024 * 1024 * MiB };
/** Sizes are rounded up to this: a whole number of pages on 4, 16 and 64 KiB page kernels. */
const GRAIN = 64 * 1024;

/** "500M", "64MiB", "1.5G", "1048576": bytes (binary units), rounded up to whole 64 KiB. */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(value.trim());
  const bytes = m ? Number(m[1]) * (UNITS[(m[2] as string).toUpperCase()] as number) : Number.NaN;
  if (!Number.isFinite(bytes) || bytes <= 0) {
    throw new UsageError(`--size takes a size such as 16M, 500M or 1G, not "${value}"`);
  }
  return Math.ceil(bytes / GRAIN) * GRAIN;
}

function listDemos(json: boolean): void {
  const demos = DEMO_NAMES.map((name) => DEMOS.get(name)).filter((d) => d !== undefined);
  if (json) {
    const list = demos.map((d) => ({
      name: d.name,
      title: d.title,
      defaultSizeBytes: d.defaultSize,
      size: d.sizeMeans,
    }));
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  printText(
    demos,
    (list) =>
      'The lessons of virtual memory as live experiments on this kernel. Run one: memlens demo <name>\n\n' +
      `${renderTable(
        [
          { header: 'DEMO', align: 'left', value: (d) => d.name },
          { header: 'WHAT IT SHOWS', align: 'left', value: (d) => d.title },
          { header: '--size', align: 'left', value: (d) => d.sizeMeans },
        ],
        list,
      )}\n`,
  );
}

/** The pause between steps: a prompt on stderr, then a line from stdin (EOF: stop pausing). */
function pauser(roles: Map<number, string>): { pause: (step: DemoStep) => Promise<void>; close: () => void } {
  let rl: Interface | null = null;
  let ended = false;
  const lines: string[] = [];
  let waiting: (() => void) | null = null;
  const open = () => {
    if (rl) return;
    rl = createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (line) => {
      if (waiting) {
        const w = waiting;
        waiting = null;
        w();
      } else lines.push(line);
    });
    rl.on('close', () => {
      ended = true;
      waiting?.();
    });
  };
  return {
    async pause(step) {
      if (ended) return;
      open();
      const who = step.pids.map((pid) => `pid ${pid} (${roles.get(pid) ?? 'process'})`).join(', ');
      const first = step.pids[0];
      printText(
        who,
        (w) =>
          `  ‖ paused after step ${step.step}. From another terminal: memlens inspect ${first ?? '<pid>'}` +
          `${w ? `  [${w}]` : ''}. Press Enter to go on.\n`,
        process.stderr,
      );
      if (lines.length > 0) {
        lines.shift();
        return;
      }
      await new Promise<void>((resolve) => {
        waiting = resolve;
      });
    },
    close: () => {
      (rl as Interface | null)?.close();
    },
  };
}

/** A one-line progress bar on stderr, only on a terminal, redrawn when the percentage moves. */
function progressBar(): { hook: NonNullable<LabHooks['progress']>; clear: () => void } {
  let shown = false;
  const clear = () => {
    if (shown) process.stderr.write('\r\x1b[K');
    shown = false;
  };
  const hook = (label: string) => {
    if (!process.stderr.isTTY) return null;
    let last = -1;
    return (done: number, total: number) => {
      const percent = Math.floor((done / total) * 100);
      if (percent === last) return;
      last = percent;
      const width = 30;
      const filled = Math.round((done / total) * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      // The carriage return is the bar's own, to redraw it in place; the label is text.
      process.stderr.write(`\r${terminalText(label, (l) => `    ${l}  ${bar}  ${percent}%`)}`);
      shown = true;
    };
  };
  return { clear, hook };
}

export async function runDemoCommand(
  name: string | undefined,
  opts: DemoCliOptions,
  globals: GlobalOptions,
): Promise<void> {
  if (name === undefined) return listDemos(opts.json === true);
  const demo = DEMOS.get(name as DemoName);
  if (!demo) throw new UsageError(`unknown demo "${name}": expected one of ${DEMO_NAMES.join(', ')}`);
  if (globals.root !== undefined) {
    throw new UsageError(
      'memlens demo runs experiments on the live kernel; it cannot use a captured tree (--root)',
    );
  }
  const size = opts.size === undefined ? demo.defaultSize : parseSize(opts.size);
  if (size < demo.minSize) {
    throw new UsageError(
      `--size for demo ${demo.name} must be at least ${formatBytes(demo.minSize)}, not "${opts.size}"`,
    );
  }
  if (opts.thp && demo.name !== 'reserve') throw new UsageError('--thp applies to the reserve demo only');
  const ctx = createContext(globals);
  const why = demo.unavailable?.(ctx.fs);
  if (why) throw new RuntimeError(why);
  const available = readMeminfo(ctx.fs).memAvailableBytes;
  const needed = demo.memoryNeeded(size);
  if (available !== null && needed > available * 0.8) {
    throw new RuntimeError(
      `demo ${demo.name} at --size ${formatBytes(size)} would make ${formatBytes(needed)} resident, and only ` +
        `${formatBytes(available)} is available here; pick a smaller --size`,
    );
  }

  const json = opts.json === true;
  const roles = new Map<number, string>();
  const bar = progressBar();
  const paused = opts.pause ? pauser(roles) : null;
  const hooks: LabHooks = {
    process: (p) => {
      roles.set(p.pid, p.role);
    },
    step: (step) => {
      bar.clear();
      if (!json) printText(step, (s) => `\n${renderStep(s)}`);
    },
    progress: bar.hook,
    interrupted: (signal, removed, failures) => {
      bar.clear();
      paused?.close();
      printText(
        { removed, failures },
        (x) =>
          `memlens: demo ${demo.name} interrupted by ${signal}; removed ${x.removed.join(', ') || 'nothing'}` +
          (x.failures.length > 0 ? `; could not remove ${x.failures.join('; ')}` : '') +
          '\n',
        process.stderr,
      );
    },
  };
  if (paused) hooks.pause = paused.pause;
  if (!json) printText(null, () => renderHeader(demo, size));
  let report: DemoReport;
  try {
    report = await runDemo(demo, ctx.fs, { size, thp: opts.thp === true }, hooks);
  } catch (err) {
    if (err instanceof LabUnavailableError || err instanceof LabError) throw new RuntimeError(err.message);
    throw err;
  } finally {
    bar.clear();
    paused?.close();
  }
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printText(report, (r) => `\n${renderSummary(r)}`);
}
