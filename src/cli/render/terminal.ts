// Text for a terminal. Process names, command lines, mapped paths, cgroup names, runtime documents
// and snapshot files are written by other users, and a control character printed raw is a command
// to the terminal of whoever runs memlens (root): ESC ] 0 ; ... BEL retitles it, ESC [ 2 J clears
// it, U+009B is ESC [ on terminals that take C1 controls. So every text output of the CLI is made
// by terminalText, which shows each C0 control, DEL and C1 control escaped (\x1b, \x07, \u009b):
// - the strings of the data the text is built from are escaped first, line feeds and tabs too,
//   so a newline inside a name stays on its line and cannot forge a row;
// - whatever else the finished text holds is escaped as well, but its own line feeds (and, for the
//   live view only, its own colour sequences).
// Backslashes are not escaped: paths and regexes keep them, and nothing a terminal obeys starts
// with one. JSON output never comes here: JSON.stringify escapes every control itself.

/** Every C0 control, DEL and every C1 control. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/** The same but the line feed, which lays out the finished text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
const CONTROLS_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
/** The same, with the renderer's own colour (SGR) sequences matched whole so that they stay. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to escape
const CONTROLS_BUT_LF_SGR = /\u001b\[[0-9;]*m|[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

function escapeOne(match: string): string {
  if (match.length > 1) return match; // a colour sequence of the renderer's own
  const code = match.charCodeAt(0);
  const hex = code.toString(16).padStart(2, '0');
  // C1 are characters, not bytes (they arrive UTF-8 encoded): \u009b, never a \x9b that reads as a byte.
  return code < 0x80 ? `\\x${hex}` : `\\u00${hex}`;
}

/** The text with every control character (line feeds and tabs included) shown escaped. */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, escapeOne);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function escapeValue(value: unknown): unknown {
  if (typeof value === 'string') return escapeControls(value);
  if (Array.isArray(value)) return value.map(escapeValue);
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[escapeControls(key)] = escapeValue(v);
    return out;
  }
  return value;
}

/** A copy of plain data (objects, arrays) with every string, keys included, escaped. */
export function escapeStrings<T>(data: T): T {
  return escapeValue(data) as T;
}

export interface TerminalTextOptions {
  /** Keep the renderer's own colour sequences (ESC [ ... m): the live view's chart. */
  colors?: boolean;
}

/**
 * The one way CLI text is made: `render` gets `data` with its strings escaped, and what it returns
 * is escaped again but for its line feeds. Strings that reach the text some other way (a closure)
 * are still escaped; they only lose the protection of their own line feeds.
 */
export function terminalText<T>(
  data: T,
  render: (escaped: T) => string,
  options: TerminalTextOptions = {},
): string {
  const text = render(escapeStrings(data));
  return text.replace(options.colors ? CONTROLS_BUT_LF_SGR : CONTROLS_BUT_LF, escapeOne);
}

/** terminalText written to stdout (or the stream given, e.g. stderr). */
export function printText<T>(
  data: T,
  render: (escaped: T) => string,
  stream: NodeJS.WritableStream = process.stdout,
): void {
  stream.write(terminalText(data, render));
}
