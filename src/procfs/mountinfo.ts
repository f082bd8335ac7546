// /proc/self/mountinfo: where each filesystem is mounted. man 5 proc_pid_mountinfo
//   43 30 0:40 / /sys/fs/cgroup/memory rw,nosuid shared:19 - cgroup cgroup rw,memory
//   30 24 0:27 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate
// Fields: id, parent, major:minor, root (the folder of the filesystem mounted here), mount
// point, mount options, optional fields up to "-", filesystem type, source, super options.
// Spaces and other specials are written as octal escapes ("\040").

import { ProcParseError } from './errors.js';
import type { ProcFs } from './fs.js';

export interface MountInfo {
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string[];
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export function parseMountinfo(text: string, path: string): MountInfo[] {
  const out: MountInfo[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash === -1 || fields.length < dash + 4) {
      throw new ProcParseError(`expected "... - fstype source options", found "${line}"`, path, i + 1);
    }
    out.push({
      root: unescapeOctal(fields[3] as string),
      mountPoint: unescapeOctal(fields[4] as string),
      fsType: fields[dash + 1] as string,
      source: unescapeOctal(fields[dash + 2] as string),
      superOptions: (fields[dash + 3] as string).split(','),
    });
  }
  return out;
}

/** Reads /proc/self/mountinfo (the mounts as memlens itself sees them). */
export function readMountinfo(fs: ProcFs): MountInfo[] {
  return parseMountinfo(fs.readText('proc/self/mountinfo'), fs.path('proc/self/mountinfo'));
}
