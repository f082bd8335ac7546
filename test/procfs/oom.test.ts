// /proc/PID/oom_score and oom_score_adj.
import { parseOomScore, parseOomScoreAdj } from '../../src/procfs/oom.js';
import { tableTests } from './_assert.js';

tableTests('oom_score', '/proc/42/oom_score', (t) => parseOomScore(t, '/proc/42/oom_score'), [
  ['zero', '0\n', 0],
  ['since 4.19 up to 2000', '2000\n', 2000],
  ['typical', '667\n', 667],
  ['negative', '-1\n', 'error'],
  ['above 2000', '2001\n', 'error'],
  ['not a number', 'x\n', 'error'],
  ['empty', '', 'error'],
  ['two numbers', '1 2\n', 'error'],
]);

tableTests('oom_score_adj', '/proc/42/oom_score_adj', (t) => parseOomScoreAdj(t, '/proc/42/oom_score_adj'), [
  ['exempt', '-1000\n', -1000],
  ['first to die', '1000\n', 1000],
  ['default', '0\n', 0],
  ['below -1000', '-1001\n', 'error'],
  ['above 1000', '1001\n', 'error'],
  ['a decimal', '1.5\n', 'error'],
  ['huge', '99999999999999999999999\n', 'error'],
]);
