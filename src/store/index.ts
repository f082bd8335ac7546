// The history store: explicit re-exports only.
export type { Columnar } from './aggregate.js';
export type { CgroupSampleRow, MachineSampleRow, ProcSampleRow } from './columns.js';
export { HistoryError, type HistoryErrorCode } from './errors.js';
export { History, type HistoryOptions } from './history.js';
export { defaultHistoryPath } from './paths.js';
export { DEFAULT_RETENTION, describeRetention, type RetentionTier } from './retention.js';
export type { KnownProcess } from './series.js';
export type { Tick } from './writer.js';
