// The two ways reading a kernel file can fail, kept apart because callers treat them differently:
// a parse error is a bug or a kernel we do not understand (report it), a read error is the normal
// life of /proc (a process exits, a file is private, an old kernel lacks the file).

/** Text of a kernel file that does not have the shape we expect. */
export class ProcParseError extends SyntaxError {
  override name = 'ProcParseError';
  constructor(
    message: string,
    readonly path: string,
    readonly line?: number,
  ) {
    super(
      line === undefined
        ? `Cannot parse "${path}": ${message}`
        : `Cannot parse "${path}" line ${line}: ${message}`,
    );
  }
}

export type ProcReadErrorCode = 'E_NO_PROCESS' | 'E_PERMISSION' | 'E_UNSUPPORTED' | 'E_IO';

/** A kernel file that could not be read; `cause` keeps the errno error. */
export class ProcReadError extends Error {
  override name = 'ProcReadError';
  constructor(
    readonly code: ProcReadErrorCode,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Maps a Node fs error on `path` to a ProcReadError; anything else is rethrown untouched. */
export function toReadError(err: unknown, path: string, pid?: number): ProcReadError {
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  switch (errno) {
    // ENOENT under /proc/PID means the process is gone; ESRCH is what some files return
    // while the task is being torn down.
    case 'ENOENT':
    case 'ESRCH':
      if (pid !== undefined) {
        return new ProcReadError('E_NO_PROCESS', path, `process ${pid} exited`, { cause: err });
      }
      return new ProcReadError('E_UNSUPPORTED', path, `"${path}" does not exist on this kernel`, {
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new ProcReadError('E_PERMISSION', path, `permission denied reading "${path}"`, { cause: err });
    default:
      return new ProcReadError(
        'E_IO',
        path,
        `cannot read "${path}": ${(err as Error)?.message ?? String(err)}`,
        {
          cause: err,
        },
      );
  }
}

export function isNoProcess(err: unknown): boolean {
  return err instanceof ProcReadError && err.code === 'E_NO_PROCESS';
}
