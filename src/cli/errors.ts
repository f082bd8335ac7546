// The CLI's two kinds of failure. main.ts is the only place that turns them into output: one
// line on stderr and the exit code (2 for usage, 1 for runtime), never a stack trace.

/** The command line is wrong: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}

/** The command was fine but could not be carried out: exit code 1. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
  readonly exitCode = 1;
}
