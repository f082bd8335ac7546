// User names for uids, from the root's /etc/passwd. A uid without an entry (containers, deleted
// users) shows as the number, the way ps does.
import type { ProcFs } from '../procfs/fs.js';

export type UserNames = (uid: number) => string;

export function loadUserNames(fs: ProcFs): UserNames {
  const names = new Map<number, string>();
  try {
    for (const line of fs.readText('etc/passwd').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid && /^\d+$/.test(uid) && !names.has(Number(uid))) names.set(Number(uid), name);
    }
  } catch {
    // No passwd in a fixture tree or a minimal container: numbers it is.
  }
  return (uid) => names.get(uid) ?? String(uid);
}
