// Command lines leave the machine through the API and the dashboard, and people put secrets in
// them: `--password=...`, `mysql -pS3cret`, `DB_URL=postgres://u:pw@db/x`, `curl -H "Authorization:
// Bearer ..."`, `https://h/x?token=...`. Every command line the server exposes goes through
// redactCommand first. Two passes, both over each argument and over the scripts inside arguments
// (`sh -c '...'`, split into words by shell-words.ts):
// - text: URLs (userinfo, query), headers ("Authorization: Bearer x"), name=value and "name": value,
//   quoted values included, wherever they stand in the argument;
// - words: a secret that is the word after another one: "--password x", "-H Authorization:" then
//   "Bearer x", "Bearer" then "x", mysql's glued "-px", "redis-cli -a x", "aws configure set
//   aws_secret_access_key x".
// It errs on the side of hiding: a harmless value behind a name that looks secret is hidden too.
import { hasBlank, quoteWord, type ShellWord, shellWords } from './shell-words.js';

export const REDACTED = '***';

// Option and key names that hold secrets, matched anywhere in the name ("--db-password",
// "PGPASSWORD", "client_secret", "api-key", "X-Auth-Token", "ssl-key"), and a few short ones that
// are secrets only as a whole name (the "sig" of a signed URL).
const SECRET_NAME = /pass|pwd|secret|token|key|auth|credential|cookie|private|signature/i;
const SECRET_WORD = /^-*(sig|jwt|session|sessionid)$/i;

function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) || SECRET_WORD.test(name);
}

// A value in quotes (an unterminated one runs to the end), which stay when it is hidden.
const QUOTED = `"(?:[^"\\\\]|\\\\.)*(?:"|$)|'[^']*(?:'|$)`;

// A name then "=" then a value, anywhere: "--password=x", "token=x&u=1", "PGPASSWORD=x",
// '--password="x y"'. Unquoted, the value ends at a blank or a separator of query strings and lists.
// The name is matched first and the value only after a secret name: scanning values behind
// harmless names would make "a=a=a=..." quadratic, and command lines are anyone's to make long.
const NAME_EQUALS = /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)=/g;
const VALUE_AT = new RegExp(`${QUOTED}|[^\\s&;,'"]+`, 'y');

// A quoted name, ":" and a value, as in JSON: {"apiKey": "x"}.
const JSON_VALUE = new RegExp(`(["'])([A-Za-z0-9_.-]+)\\1(\\s*:\\s*)(${QUOTED}|[^\\s,}]+)`, 'g');

// A header: "Name: value" up to the end of its quotes or the argument. Not "scheme://".
const HEADER = /(^|[\s'"=])([A-Za-z][A-Za-z0-9_.-]*)(:(?!\/\/)[ \t]*)([^'"\n]*)/g;

// HTTP auth schemes, whose credentials follow them.
const AUTH_SCHEME = /^(Bearer|Basic|Token|Digest|Negotiate)$/i;
const SCHEME_THEN = /^(Bearer|Basic|Token|Digest|Negotiate)(\s+)\S/i;

// A URL, up to a blank or a quote.
const URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]*/gi;

// Oracle's connect string in a JDBC URL, "jdbc:oracle:thin:USER/PASSWORD@db": no "://" to find.
const ORACLE_JDBC = /\b(jdbc:oracle:[a-z0-9]+:)([^/\s'"@:]+)\/([^@\s'"]+)@/gi;

function isRedacted(value: string): boolean {
  return value.replace(/^["']/, '').startsWith(REDACTED);
}

/** A value hidden, keeping the quotes it came in. */
function hide(value: string): string {
  const q = value[0];
  return q === '"' || q === "'"
    ? `${q}${REDACTED}${value.endsWith(q) && value.length > 1 ? q : ''}`
    : REDACTED;
}

/** A URL with the password of its userinfo and the secret parameters of its query hidden. */
function redactUrl(url: string): string {
  const scheme = url.indexOf('://') + 3;
  const authorityEnd = url.slice(scheme).search(/[/?#]/);
  const authority = authorityEnd < 0 ? url.slice(scheme) : url.slice(scheme, scheme + authorityEnd);
  const rest = url.slice(scheme + authority.length);
  const at = authority.lastIndexOf('@');
  let host = authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    // "https://ghp_xxx@github.com": a token alone as the user name; "ssh://git@host" stays.
    const shown =
      colon >= 0 ? `${userinfo.slice(0, colon)}:${REDACTED}` : /^https?:/i.test(url) ? REDACTED : userinfo;
    host = `${shown}@${authority.slice(at + 1)}`;
  }
  const query = rest.replace(
    /([?&;#])([^=&;#?]+)=([^&;#]*)/g,
    (m, sep: string, name: string, value: string) =>
      isSecretName(decodeName(name)) && value !== '' && !isRedacted(value) ? `${sep}${name}=${REDACTED}` : m,
  );
  return `${url.slice(0, scheme)}${host}${query}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** Hides what the text itself shows to be secret, wherever in an argument or script it is. */
function redactText(text: string): string {
  let out = text.replace(URL, redactUrl);
  out = out.replace(ORACLE_JDBC, (m, prefix: string, user: string, pw: string) =>
    isRedacted(pw) ? m : `${prefix}${user}/${REDACTED}@`,
  );
  out = out.replace(HEADER, (m, lead: string, name: string, sep: string, value: string) => {
    if (!isSecretName(name) || value === '' || isRedacted(value)) return m;
    // "Authorization: Bearer x": the scheme stays, the credentials go.
    const scheme = SCHEME_THEN.exec(value);
    if (scheme) return `${lead}${name}${sep}${scheme[1]}${scheme[2]}${REDACTED}`;
    return AUTH_SCHEME.test(value.trim()) ? m : `${lead}${name}${sep}${REDACTED}`;
  });
  out = out.replace(JSON_VALUE, (m, q: string, name: string, sep: string, value: string) =>
    isSecretName(name) && !isRedacted(value) ? `${q}${name}${q}${sep}${hide(value)}` : m,
  );
  return replaceNameValues(out);
}

/**
 * name=value pairs. A pair whose name is harmless is looked into again after its "=", so that
 * "--env=API_KEY=x" and "--from-literal=password=x" are found.
 */
function replaceNameValues(text: string): string {
  let out = '';
  let from = 0;
  NAME_EQUALS.lastIndex = 0;
  for (let m = NAME_EQUALS.exec(text); m !== null; m = NAME_EQUALS.exec(text)) {
    if (!isSecretName(m[1] as string)) continue;
    VALUE_AT.lastIndex = NAME_EQUALS.lastIndex;
    const value = VALUE_AT.exec(text)?.[0];
    if (value === undefined || isRedacted(value)) continue;
    out += `${text.slice(from, NAME_EQUALS.lastIndex)}${hide(value)}`;
    from = NAME_EQUALS.lastIndex + value.length;
    NAME_EQUALS.lastIndex = from;
  }
  return out + text.slice(from);
}

// Programs whose short options take a password as the next word.
const PASSWORD_FLAG: [RegExp, string][] = [
  [/^redis-cli$/, '-a'],
  [/^sshpass$/, '-p'],
  [/^mongo(sh|dump|restore|import|export|stat|top)?$/, '-p'],
  [/^login$/, '-p'], // docker login, podman login, helm registry login
];

// Programs that take a password glued to -p.
const GLUED_P = /^(mysql[a-z_-]*|mariadb[a-z_-]*|mycli|sshpass|mongo[a-z]*)$/;

// Oracle's tools, whose connect argument is "user/password[@database]".
const ORACLE_NAMES = 'sqlplus|sqlldr|expdp|impdp|exp|imp|rman|dgmgrl';
const ORACLE_TOOLS = new RegExp(`^(${ORACLE_NAMES})$`);
const ORACLE_CONNECT = /^([^/\s@-][^/\s@]*)\/([^@\s]+)(@.*)?$/;

// Those, and programs that wrap another whose -p is not a password.
const PROGRAMS = new RegExp(`^(redis-cli|sshpass|mongo[a-z]*|login|ssh|scp|sftp|rsync|${ORACLE_NAMES})$`);

const OPTION_ONLY = /^-{1,2}[A-Za-z0-9_.-]+$/;

/** What the words before each word of a command tell, gathered in one pass (commands can be long). */
interface Before {
  /** The last program of PROGRAMS named before the word, or "". */
  program: string;
  mysqlLike: boolean;
  curl: boolean;
  /** "set" or "config" came before: "aws configure set KEY VALUE", "git config KEY VALUE". */
  setting: boolean;
}

function gatherBefore(words: readonly string[]): Before[] {
  const out: Before[] = [];
  let at: Before = { program: '', mysqlLike: false, curl: false, setting: false };
  for (const word of words) {
    out.push(at);
    const base = word.slice(word.lastIndexOf('/') + 1);
    at = {
      program: PROGRAMS.test(base) ? base : at.program,
      mysqlLike: at.mysqlLike || GLUED_P.test(base),
      curl: at.curl || base === 'curl',
      setting: at.setting || base === 'set' || base === 'config',
    };
  }
  return out;
}

/**
 * The word at `i` redacted when what comes before it makes it a secret, else null. `words` are the
 * values of one command's words (quotes removed).
 */
function secretWord(words: readonly string[], i: number, before: Before): string | null {
  const word = words[i] as string;
  if (isRedacted(word)) return null;
  const prev = i > 0 ? (words[i - 1] as string) : '';
  // "--password VALUE": the value stands alone, unless it is another option.
  if (OPTION_ONLY.test(prev) && isSecretName(prev) && !word.startsWith('-')) return REDACTED;
  // "-H" "Authorization:" "Bearer x" (or "x" alone); "Authorization: Bearer" "x"; "Bearer" "x".
  const header = /(?:^|\s)([A-Za-z][A-Za-z0-9_.-]*):\s*$/.exec(prev);
  if (header && isSecretName(header[1] as string) && !AUTH_SCHEME.test(word)) {
    const scheme = SCHEME_THEN.exec(word);
    return scheme ? `${scheme[1]}${scheme[2]}${REDACTED}` : REDACTED;
  }
  const prevWords = prev.trim().split(/\s+/);
  const lastOfPrev = prevWords.at(-1) ?? '';
  if (/^bearer$/i.test(lastOfPrev) || (AUTH_SCHEME.test(lastOfPrev) && /:\s*\S+\s*$/.test(prev)))
    return REDACTED;
  if (AUTH_SCHEME.test(prev) && i > 1 && /:\s*$/.test(words[i - 2] as string)) return REDACTED;
  // mysql and friends take the password glued to -p: "-pS3cret". A bare "-p" is left alone, and
  // so is find's "-print".
  if (/^-p[^\s=]/.test(word) && before.mysqlLike) return `-p${REDACTED}`;
  // The program is the last one named: in "sshpass -p x ssh -p 22 host", ssh's -p is a port.
  for (const [name, flag] of PASSWORD_FLAG) {
    if (prev === flag && name.test(before.program) && !word.startsWith('-')) return REDACTED;
  }
  // sqlplus scott/tiger@db: the password is between the "/" and the "@".
  const connect = ORACLE_TOOLS.test(before.program) ? ORACLE_CONNECT.exec(word) : null;
  if (connect && !isRedacted(connect[2] as string)) return `${connect[1]}/${REDACTED}${connect[3] ?? ''}`;
  // curl -u user:password, and the same glued: --user=user:password, -uuser:password
  if ((prev === '-u' || prev === '--user') && before.curl && word.includes(':')) {
    return `${word.slice(0, word.indexOf(':'))}:${REDACTED}`;
  }
  const glued = before.curl ? /^(--user=|-u)([^:\s]*):(.+)$/.exec(word) : null;
  if (glued && !isRedacted(glued[3] as string)) return `${glued[1]}${glued[2]}:${REDACTED}`;
  // "aws configure set aws_secret_access_key X", "npm config set _authToken X"
  if (/^[A-Za-z0-9_.:/-]+$/.test(prev) && !prev.startsWith('-') && isSecretName(prev) && before.setting) {
    return REDACTED;
  }
  return null;
}

/** A script with the secrets its words reveal hidden, scripts inside its words included. */
function redactScript(text: string): string {
  if (!hasBlank(text)) return text;
  const words = shellWords(text);
  let out = '';
  let from = 0;
  let command: ShellWord[] = [];
  for (const word of [...words, null]) {
    if (word !== null) {
      command.push(word);
      continue;
    }
    const values = command.map((w) => w.value);
    const before = gatherBefore(values);
    for (const [i, w] of command.entries()) {
      const secret = secretWord(values, i, before[i] as Before);
      // A word with a blank in it was quoted, so its value is shorter than the text: this ends.
      const nested =
        secret === null && hasBlank(w.value) && w.value.length < text.length
          ? redactScript(w.value)
          : w.value;
      const value = secret ?? nested;
      if (value === w.value) continue;
      out += text.slice(from, w.start) + quoteWord(w, value);
      from = w.end;
    }
    command = [];
  }
  return out + text.slice(from);
}

/** The arguments with secrets replaced by "***". Pure; never throws. */
export function redactArgs(args: readonly string[]): string[] {
  const before = gatherBefore(args);
  return args.map((arg, i) => secretWord(args, i, before[i] as Before) ?? redactScript(redactText(arg)));
}

/** One command line as text, redacted; null when there is none (kernel threads, unreadable). */
export function redactCommand(args: readonly string[] | null): string | null {
  if (args === null || args.length === 0) return null;
  return redactArgs(args).join(' ');
}
