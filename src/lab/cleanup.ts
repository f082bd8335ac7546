// Everything a demo creates (processes, files, cgroups) is registered here as it is created, and
// removed in reverse order when the demo ends: normally, on an error, or on SIGINT/SIGTERM/SIGHUP.
// A cleanup that fails does not stop the others; its failure is reported.

export interface CleanupFailure {
  label: string;
  error: string;
}

interface Item {
  label: string;
  run: () => void | Promise<void>;
  /** Best effort when the process exits without the async path (an uncaught error). */
  sync: (() => void) | undefined;
  done: boolean;
}

export class Cleanups {
  private readonly items: Item[] = [];
  private running: Promise<CleanupFailure[]> | null = null;
  private readonly onExit = () => this.runSync();

  constructor() {
    process.on('exit', this.onExit);
  }

  /**
   * Registers a cleanup. `dismiss` drops it once what it would remove is gone by other means (a
   * child that exited as the demo meant it to).
   */
  add(label: string, run: () => void | Promise<void>, sync?: () => void): { dismiss(): void } {
    const item: Item = { label, run, sync, done: false };
    this.items.push(item);
    return {
      dismiss: () => {
        item.done = true;
      },
    };
  }

  /** What is still registered, newest first: for the message after an interruption. */
  pending(): string[] {
    return this.items
      .filter((i) => !i.done)
      .map((i) => i.label)
      .reverse();
  }

  /** Runs every cleanup not yet run, newest first. Calling it again returns the same run. */
  runAll(): Promise<CleanupFailure[]> {
    this.running ??= (async () => {
      const failures: CleanupFailure[] = [];
      for (const item of [...this.items].reverse()) {
        if (item.done) continue;
        item.done = true;
        try {
          await item.run();
        } catch (err) {
          failures.push({ label: item.label, error: (err as Error)?.message ?? String(err) });
        }
      }
      process.off('exit', this.onExit);
      return failures;
    })();
    return this.running;
  }

  private runSync(): void {
    for (const item of [...this.items].reverse()) {
      if (item.done || !item.sync) continue;
      item.done = true;
      try {
        item.sync();
      } catch {
        // The process is exiting; nothing is left to report to.
      }
    }
  }
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
export type StopSignal = keyof typeof SIGNALS;

/** The exit code a shell gives for a signal: 128 + its number (130 for SIGINT). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + SIGNALS[signal];
}

/**
 * Calls `handler` on the first SIGINT, SIGTERM or SIGHUP; a second one exits at once (the user
 * insists). Returns the function that removes the handlers.
 */
export function onStopSignals(handler: (signal: StopSignal) => void): () => void {
  let seen: StopSignal | null = null;
  const listeners = (Object.keys(SIGNALS) as StopSignal[]).map((signal) => {
    const listener = () => {
      if (seen !== null) process.exit(signalExitCode(signal));
      seen = signal;
      handler(signal);
    };
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
