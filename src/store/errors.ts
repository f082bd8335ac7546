// The one error type of the history store. Callers tell the cases apart by `code`: the CLI prints
// the message, the server maps E_NOT_HISTORY / E_SCHEMA_NEWER / E_OPEN to a start-up failure.

export type HistoryErrorCode =
  /** The file exists but is not a memlens history (not SQLite, or another program's database). */
  | 'E_NOT_HISTORY'
  /** A newer memlens wrote the file; this one does not know its schema. */
  | 'E_SCHEMA_NEWER'
  /** The folder does not exist, or the path names something that is not a regular file. */
  | 'E_PATH'
  /** The file or its folder cannot be opened or created, or WAL mode is refused. */
  | 'E_OPEN'
  /** The retention tiers asked for make no sense. */
  | 'E_RETENTION';

export class HistoryError extends Error {
  override name = 'HistoryError';
  constructor(
    readonly code: HistoryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
