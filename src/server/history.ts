// What the server needs of the history store (src/store/history.ts), as an interface: the
// sampler writes through it and the API reads through it, and tests of the app can hand in the
// real store on a temporary file.
import type {
  CgroupSampleRow,
  Columnar,
  History,
  MachineSampleRow,
  ProcSampleRow,
} from '../store/history.js';

export type { CgroupSampleRow, Columnar, MachineSampleRow, ProcSampleRow };

export type HistoryStore = Pick<
  History,
  | 'writeTick'
  | 'processSeries'
  | 'machineSeries'
  | 'cgroupSeries'
  | 'compact'
  | 'retentionDescription'
  | 'close'
>;

/** Where the sampler sends each tick: the writer thread in the server, or a History directly. */
export type TickSink = Pick<HistoryStore, 'writeTick' | 'compact'>;
