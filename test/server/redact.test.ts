// Secrets in command lines never leave through the API: every form people use, and what must stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { REDACTED, redactArgs, redactCommand } from '../../src/server/redact.js';

const CASES: [string[], string[]][] = [
  // --name=value, for every secret-looking name
  [
    ['app', '--password=hunter2'],
    ['app', `--password=${REDACTED}`],
  ],
  [
    ['app', '--db-password=hunter2'],
    ['app', `--db-password=${REDACTED}`],
  ],
  [
    ['app', '--token=abc123', '--port=80'],
    ['app', `--token=${REDACTED}`, '--port=80'],
  ],
  [
    ['app', '--api-key=k', '--secret=s'],
    ['app', `--api-key=${REDACTED}`, `--secret=${REDACTED}`],
  ],
  [
    ['app', '-Dapp.auth.secret=x'],
    ['app', `-Dapp.auth.secret=${REDACTED}`],
  ],
  // --name value
  [
    ['app', '--password', 'hunter2', 'next'],
    ['app', '--password', REDACTED, 'next'],
  ],
  [
    ['app', '--token', 'abc', '--verbose'],
    ['app', '--token', REDACTED, '--verbose'],
  ],
  // a flag with no value keeps the next option
  [
    ['app', '--token', '--verbose'],
    ['app', '--token', '--verbose'],
  ],
  // key=value anywhere: environment assignments, query strings, connection strings
  [
    ['sh', '-c', 'PGPASSWORD=pw psql -h db'],
    ['sh', '-c', `PGPASSWORD=${REDACTED} psql -h db`],
  ],
  [
    ['curl', 'https://api.example.com/v1?user=bob&token=t0k&x=1'],
    ['curl', `https://api.example.com/v1?user=bob&token=${REDACTED}&x=1`],
  ],
  [
    ['app', 'host=db user=u password=pw dbname=x'],
    ['app', `host=db user=u password=${REDACTED} dbname=x`],
  ],
  // URLs with credentials
  [
    ['app', 'postgres://admin:s3cret@db:5432/app'],
    ['app', `postgres://admin:${REDACTED}@db:5432/app`],
  ],
  [
    ['git', 'clone', 'https://x-access-token:ghp_abc@github.com/o/r'],
    ['git', 'clone', `https://x-access-token:${REDACTED}@github.com/o/r`],
  ],
  // HTTP auth headers
  [
    ['curl', '-H', 'Authorization: Bearer eyJhbGciOi.x.y'],
    ['curl', '-H', `Authorization: Bearer ${REDACTED}`],
  ],
  // mysql's glued password
  [
    ['mysql', '-uroot', '-pS3cret'],
    ['mysql', '-uroot', `-p${REDACTED}`],
  ],
  // within a shell script: --name value
  [
    ['sh', '-c', 'app --token abc --port 80'],
    ['sh', '-c', `app --token ${REDACTED} --port 80`],
  ],
  // harmless lines stay as they are
  [
    ['nginx', '-g', 'daemon off;'],
    ['nginx', '-g', 'daemon off;'],
  ],
  [
    ['node', '--max-old-space-size=4096', 'server.js'],
    ['node', '--max-old-space-size=4096', 'server.js'],
  ],
  [
    ['python3', '-m', 'http.server', '8000'],
    ['python3', '-m', 'http.server', '8000'],
  ],
  [
    ['curl', 'https://example.com/path?q=1'],
    ['curl', 'https://example.com/path?q=1'],
  ],
  [
    ['ssh', '-p', '22', 'host'],
    ['ssh', '-p', '22', 'host'],
  ],
];

test('redactArgs hides every common form of secret and leaves ordinary arguments alone', () => {
  for (const [input, expected] of CASES) {
    assert.deepEqual(redactArgs(input), expected, input.join(' '));
  }
});

test('redactCommand joins the redacted arguments; no command line is null', () => {
  assert.equal(redactCommand(['a', '--password=x']), `a --password=${REDACTED}`);
  assert.equal(redactCommand([]), null);
  assert.equal(redactCommand(null), null);
});

test('a secret value never survives, whatever surrounds it', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/);
  const name = fc.constantFrom('password', 'token', 'secret', 'api_key', 'PGPASSWORD', 'auth');
  const form = fc.constantFrom(
    '--{N}={S}',
    '{N}={S}',
    'x?a=1&{N}={S}',
    'scheme://user:{S}@host/p',
    'Bearer {S}',
  );
  fc.assert(
    fc.property(
      secret,
      name,
      form,
      fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 3 }),
      (s, n, f, other) => {
        const arg = f.replace('{N}', n).replace('{S}', s);
        const out = redactArgs([...other, arg, ...other]).join(' ');
        assert.ok(!out.includes(s), `"${s}" leaked from "${arg}": ${out}`);
      },
    ),
  );
});
