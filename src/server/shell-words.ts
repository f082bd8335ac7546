// The words of a shell script, as `sh -c '...'` gets it, for redaction: where each word is in the
// text, its value once quotes and backslashes are removed, and where one command ends. Not a shell:
// no expansion, no here-documents; `$(`, backticks and the like are plain characters, which at
// worst makes a word longer. It never throws: an unterminated quote runs to the end.

export interface ShellWord {
  start: number;
  end: number;
  /** The word with its quotes and backslashes removed. */
  value: string;
  /** The quote when the whole word is one quoted string ('a b' or "a b"), else null. */
  quote: "'" | '"' | null;
}

/** Between commands: ; & | && || ( ) and line breaks. */
const OPERATOR = /[;&|()\n]/;
const BLANK = /[ \t\r]/;

/** Whether the text is more than one word: it holds a blank or a line break (\v and U+00A0 do not count). */
export function hasBlank(text: string): boolean {
  return /[ \t\r\n]/.test(text);
}

/** The script's words in order; null stands between two commands. */
export function shellWords(text: string): (ShellWord | null)[] {
  const out: (ShellWord | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (BLANK.test(c)) {
      i++;
      continue;
    }
    if (OPERATOR.test(c)) {
      if (out.at(-1) !== null) out.push(null);
      i++;
      continue;
    }
    const start = i;
    let value = '';
    let parts = 0;
    let quoted: "'" | '"' | null = null;
    while (i < text.length && !BLANK.test(text[i] as string) && !OPERATOR.test(text[i] as string)) {
      const ch = text[i] as string;
      parts++;
      if (ch === "'") {
        const close = text.indexOf("'", i + 1);
        const end = close < 0 ? text.length : close;
        value += text.slice(i + 1, end);
        i = end + 1;
        quoted = "'";
      } else if (ch === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          // Inside double quotes a backslash escapes only these; elsewhere it is itself.
          if (text[i] === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1] as string)) i++;
          value += text[i];
          i++;
        }
        i++;
        quoted = '"';
      } else {
        if (ch === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
        quoted = null;
        // A run of plain characters is one part.
        while (i < text.length && !/[ \t\r;&|()\n'"\\]/.test(text[i] as string)) value += text[i++];
      }
    }
    const end = Math.min(i, text.length);
    out.push({ start, end, value, quote: parts === 1 ? quoted : null });
  }
  return out;
}

/** The value written back as one word, quoted the way the original was when that still works. */
export function quoteWord(word: ShellWord, value: string): string {
  if (word.quote === "'" && !value.includes("'")) return `'${value}'`;
  if (word.quote !== null || /[\s'"\\;&|()$`]/.test(value)) return `"${value.replace(/["\\$`]/g, '\\$&')}"`;
  return value;
}
