// /dev/kmsg: the kernel's log ring buffer, one record per read().
// https://www.kernel.org/doc/Documentation/ABI/testing/dev-kmsg, man 1 dmesg
//   4,341,2648286704,-;node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
//   6,417,2648295518,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,...,pid=13285,uid=0
//   6,339,1352704,-,caller=T70;tokio-rt-worker (70): drop_caches: 3       (CONFIG_PRINTK_CALLER)
//    SUBSYSTEM=virtio                  (a dictionary line of the record above: not its message)
// The header is "prio,seq,usec,flags[,more...];". prio is facility * 8 + level; usec is the
// kernel's monotonic clock when the record was stored. Unprintable bytes, non-ASCII bytes and
// the backslash itself are escaped as \xNN, so a message is always one line.
// The plain `dmesg` output ("[ 2648.295518] message") is parsed too, so a saved dmesg can be fed in.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ProcParseError, ProcReadError, toReadError } from './errors.js';
import type { ProcFs } from './fs.js';
import { parseSafeUint } from './numbers.js';

export interface KmsgRecord {
  /** Log level: 0 (emerg) to 7 (debug). Null when the source does not say (plain dmesg text). */
  priority: number | null;
  /**
   * Syslog facility. The kernel's own records are 0; whatever user space writes into /dev/kmsg
   * is forced to a non-zero facility (1, user, unless it names another), so 0 cannot be forged.
   * Null when the source does not say.
   */
  facility: number | null;
  /** The record's sequence number in the ring buffer; null from plain dmesg text. */
  sequence: number | null;
  /** When the kernel stored the record: microseconds since boot on its monotonic clock. */
  monotonicUsec: number;
  /** The text, with the kernel's \xNN escapes decoded. */
  message: string;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Keeps error messages short: a record can be about 1 KiB. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

const ESCAPE = /\\x([0-9a-fA-F]{2})/g;

/**
 * Decodes \xNN escapes. They stand for bytes, not characters: a UTF-8 process name arrives as
 * "\xc3\xa9", so the bytes are collected first and decoded as UTF-8 once.
 */
function decodeEscapes(text: string): string {
  if (!text.includes('\\x')) return text;
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(ESCAPE)) {
    const at = m.index as number;
    if (at > last) parts.push(Buffer.from(text.slice(last, at), 'utf8'));
    parts.push(Buffer.of(Number.parseInt(m[1] as string, 16)));
    last = at + m[0].length;
  }
  if (last < text.length) parts.push(Buffer.from(text.slice(last), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

/** Splits the syslog prio value (facility * 8 + level). */
function splitPrio(prio: number): { priority: number; facility: number } {
  return { priority: prio % 8, facility: Math.floor(prio / 8) };
}

/**
 * Parses one /dev/kmsg record line, "prio,seq,usec,flags[,...];message" (without its dictionary
 * lines). `line`, when given, is the line number in a file of records, for the error message.
 */
export function parseKmsgRecord(text: string, path: string, line?: number): KmsgRecord {
  // The header holds no ';' but the message may: the first one ends the header.
  const semi = text.indexOf(';');
  if (semi === -1)
    throw new ProcParseError(`expected "prio,seq,usec,flags;message", found "${clip(text)}"`, path, line);
  const fields = text.slice(0, semi).split(',');
  // More fields may follow flags (caller=T70 today; the ABI promises only additions), and the
  // flags ('-', or 'c'/'+' for fragments on old kernels) say nothing we use.
  if (fields.length < 4)
    throw new ProcParseError(
      `expected 4 header fields "prio,seq,usec,flags", found ${fields.length} in "${clip(text)}"`,
      path,
      line,
    );
  const prio = parseSafeUint(fields[0] as string, path, line);
  return {
    ...splitPrio(prio),
    sequence: parseSafeUint(fields[1] as string, path, line),
    monotonicUsec: parseSafeUint(fields[2] as string, path, line),
    message: decodeEscapes(text.slice(semi + 1)),
  };
}

/**
 * Parses a file of /dev/kmsg records, one per line, as a fixture tree holds them (or as
 * `cat /dev/kmsg` prints them). Dictionary lines (" KEY=value") and empty lines are skipped.
 */
export function parseKmsgText(text: string, path: string): KmsgRecord[] {
  const records: KmsgRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '' || line[0] === ' ') continue;
    records.push(parseKmsgRecord(line, path, i + 1));
  }
  return records;
}

// "[ 2648.295518] message", or "<4>[ 2648.295518] message" from `dmesg --raw`.
const DMESG_LINE = /^(?:<(\d+)>)?\[\s*(\d+)\.(\d+)\] ?(.*)$/;

/**
 * Parses saved `dmesg` output ("[seconds.micros] message" per line; `dmesg -r` adds "<prio>").
 * dmesg prints the later lines of a multi-line message indented: they are joined back with "\n".
 * Timestamps from `dmesg -T` or none at all (`-t`) cannot be placed in time and are an error.
 */
export function parseDmesgText(text: string, path: string): KmsgRecord[] {
  const records: KmsgRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      const previous = records.at(-1);
      if (previous) previous.message += `\n${line.trim()}`;
      continue;
    }
    const m = DMESG_LINE.exec(line);
    if (!m)
      throw new ProcParseError(
        `expected "[seconds.micros] message" (dmesg without -T or -t), found "${clip(line)}"`,
        path,
        i + 1,
      );
    const seconds = parseSafeUint(m[2] as string, path, i + 1);
    // dmesg prints six digits; fewer or more are read as a decimal fraction, cut at microseconds.
    const micros = Number((m[3] as string).slice(0, 6).padEnd(6, '0'));
    const usec = seconds * 1e6 + micros;
    if (usec > MAX_SAFE) throw new ProcParseError(`timestamp "${m[2]}.${m[3]}" is too large`, path, i + 1);
    const prio = m[1] === undefined ? null : splitPrio(parseSafeUint(m[1], path, i + 1));
    records.push({
      priority: prio?.priority ?? null,
      facility: prio?.facility ?? null,
      sequence: null,
      monotonicUsec: usec,
      message: m[4] as string,
    });
  }
  return records;
}

/**
 * Enough for any record: the kernel formats at most 1 KiB of text plus the header, and its own
 * buffer for a /dev/kmsg read is 8 KiB. A smaller buffer fails the read with EINVAL.
 */
const RECORD_BUFFER = 8192;
const MAX_RECORD_BUFFER = 1 << 20;

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** Reads records from the character device until none is left. */
function readDevice(fd: number, path: string): KmsgRecord[] {
  const records: KmsgRecord[] = [];
  let buf = Buffer.allocUnsafe(RECORD_BUFFER);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      const code = errnoOf(err);
      // Non-blocking: EAGAIN means we have read up to the newest record.
      if (code === 'EAGAIN') break;
      // The records we were about to read were overwritten by newer ones; the kernel has moved
      // this reader to the oldest record still there, so reading on loses only those.
      if (code === 'EPIPE') continue;
      // The buffer is too small for this record. Not seen with 8 KiB, but a future kernel may
      // allow longer records.
      if (code === 'EINVAL' && buf.length < MAX_RECORD_BUFFER) {
        buf = Buffer.allocUnsafe(buf.length * 2);
        continue;
      }
      throw err;
    }
    if (n === 0) break;
    const text = buf.toString('utf8', 0, n);
    // The record's dictionary lines follow its first newline.
    const nl = text.indexOf('\n');
    records.push(parseKmsgRecord(nl === -1 ? text : text.slice(0, nl), path));
  }
  return records;
}

function readRegularFile(fd: number): string {
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = Buffer.allocUnsafe(1 << 16);
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The permission error says why, since "permission denied" alone reads like a bug in memlens. */
function permissionError(err: unknown, path: string, fs: ProcFs): ProcReadError {
  let restricted = '';
  try {
    if (fs.readText('proc/sys/kernel/dmesg_restrict').trim() === '1')
      restricted = ' (kernel.dmesg_restrict=1)';
  } catch {
    // The reason is a courtesy; the error stands without it.
  }
  return new ProcReadError(
    'E_PERMISSION',
    path,
    `permission denied reading "${path}": reading the kernel log needs root (CAP_SYSLOG) here${restricted}`,
    { cause: err },
  );
}

function toKmsgError(err: unknown, path: string, fs: ProcFs): ProcReadError {
  const code = errnoOf(err);
  // With dmesg_restrict=1 the device's mode lets anyone open it, and the kernel refuses with EPERM.
  if (code === 'EPERM' || code === 'EACCES') return permissionError(err, path, fs);
  return toReadError(err, path);
}

/**
 * Reads every record now in the kernel's ring buffer, oldest first, from <root>/dev/kmsg.
 * Times are microseconds since boot. A regular file there (a fixture tree) holds one record per
 * line in the same format. Needs root (CAP_SYSLOG) where kernel.dmesg_restrict is 1: E_PERMISSION.
 */
export function readKmsg(fs: ProcFs): KmsgRecord[] {
  const path = fs.path('dev/kmsg');
  let fd: number;
  try {
    // O_NONBLOCK makes the read after the newest record fail with EAGAIN instead of waiting
    // for the next one.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw toKmsgError(err, path, fs);
  }
  try {
    if (fstatSync(fd).isFile()) return parseKmsgText(readRegularFile(fd), path);
    return readDevice(fd, path);
  } catch (err) {
    if (err instanceof ProcParseError || err instanceof ProcReadError) throw err;
    throw toKmsgError(err, path, fs);
  } finally {
    closeSync(fd);
  }
}
