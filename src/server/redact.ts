// Command lines leave the machine through the API and the dashboard, and people put secrets in
// them: `--password=...`, `mysql -pS3cret`, `DB_URL=postgres://u:pw@db/x`, `curl -H "Authorization:
// Bearer ..."`. Every command line the server exposes goes through redactCommand first. It errs
// on the side of hiding: a harmless value behind a name that looks secret is hidden too.

export const REDACTED = '***';

// Option and key names that hold secrets, matched anywhere in the name ("--db-password",
// "PGPASSWORD", "client_secret", "api-key", "X-Auth-Token", "ssl-key").
const SECRET_NAME = /pass|pwd|secret|token|key|auth|credential|cookie|private|signature/i;

// A name then "=" or ":" then a value, inside any argument: "--password=x", "token=x&u=1",
// "PGPASSWORD=x" in a `sh -c` string, "password: x".
const NAME_VALUE = /([A-Za-z0-9_.-]+)(=|:[ \t]*)([^\s&;,'"]+)/g;

// The same with a space, inside one argument such as a `sh -c` script: "--token abc".
const NAME_SPACE_VALUE = /(^|\s)(-{1,2}[A-Za-z0-9_.-]+)(\s+)([^\s-][^\s'"]*)/g;

// Credentials in a URL's userinfo: scheme://user:password@host.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*):([^/\s@]*)@/gi;

// HTTP auth schemes followed by their credentials.
const AUTH_SCHEME = /\b(Bearer|Basic|Token|Digest)(\s+)[A-Za-z0-9._~+/=-]+/g;

const AUTH_SCHEME_WORD = /^(Bearer|Basic|Token|Digest)$/;

// An option that is only a name ("--password", "-password"), so its value is the next argument.
const SECRET_FLAG = /^-{1,2}[A-Za-z0-9_.-]+$/;

function redactText(arg: string): string {
  let out = arg.replace(
    URL_CREDENTIALS,
    (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
  );
  out = out.replace(AUTH_SCHEME, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
  out = out.replace(NAME_VALUE, (m, name: string, sep: string, value: string) =>
    // "Authorization: Bearer ***": the scheme stays, its credentials went above.
    SECRET_NAME.test(name) && !value.startsWith(REDACTED) && !AUTH_SCHEME_WORD.test(value)
      ? `${name}${sep}${REDACTED}`
      : m,
  );
  out = out.replace(NAME_SPACE_VALUE, (m, lead: string, name: string, space: string, value: string) =>
    SECRET_NAME.test(name) && !value.startsWith(REDACTED) ? `${lead}${name}${space}${REDACTED}` : m,
  );
  // mysql and friends take the password glued to -p: "-pS3cret". A bare "-p" is left alone.
  return out.replace(/^-p(?=[^\s=])\S+$/, `-p${REDACTED}`);
}

/** The arguments with secrets replaced by "***". Pure; never throws. */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const prev = i > 0 ? (args[i - 1] as string) : '';
    // "--password VALUE": the value stands alone, unless it is another option.
    if (SECRET_FLAG.test(prev) && SECRET_NAME.test(prev) && !arg.startsWith('-')) {
      out.push(REDACTED);
      continue;
    }
    out.push(redactText(arg));
  }
  return out;
}

/** One command line as text, redacted; null when there is none (kernel threads, unreadable). */
export function redactCommand(args: readonly string[] | null): string | null {
  if (args === null || args.length === 0) return null;
  return redactArgs(args).join(' ');
}
