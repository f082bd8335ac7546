// Where the history lives by default: the XDG state directory, which is meant for exactly this
// ("data that should persist between restarts but is not important enough for $XDG_DATA_HOME").
// https://specifications.freedesktop.org/basedir-spec/latest/

import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * $XDG_STATE_HOME/memlens/history.db, else ~/.local/state/memlens/history.db. A relative
 * XDG_STATE_HOME is ignored, as the spec says.
 */
export function defaultHistoryPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'memlens', 'history.db');
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
  return join(home, '.local', 'state', 'memlens', 'history.db');
}
