// Secrets in command lines never leave through the API: every form people use, and what must stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { REDACTED, redactArgs, redactCommand } from '../../src/server/redact.js';
import { shellWords } from '../../src/server/shell-words.js';

// Real command lines, each with what the API may show of it: [arguments, redacted arguments].
const R = REDACTED;
const CASES: [string[], string[]][] = [
  // --name=value, for every secret-looking name
  [
    ['app', '--password=hunter2'],
    ['app', `--password=${R}`],
  ],
  [
    ['app', '--db-password=hunter2'],
    ['app', `--db-password=${R}`],
  ],
  [
    ['app', '--token=abc123', '--port=80'],
    ['app', `--token=${R}`, '--port=80'],
  ],
  [
    ['app', '--api-key=k', '--secret=s'],
    ['app', `--api-key=${R}`, `--secret=${R}`],
  ],
  // quoted values keep their quotes, in an argument and in a script
  [
    ['app', '--password="hunter2"'],
    ['app', `--password="${R}"`],
  ],
  [
    ['sh', '-c', 'exec app --password="hunter 2" --port 80'],
    ['sh', '-c', `exec app --password="${R}" --port 80`],
  ],
  [
    ['sh', '-c', "app --password 'hunter 2' -v"],
    ['sh', '-c', `app --password '${R}' -v`],
  ],
  [
    ['app', '--config', '{"apiKey":"k3y","port":80}'],
    ['app', '--config', `{"apiKey":"${R}","port":80}`],
  ],
  // --name value, and a flag with no value keeps the next option
  [
    ['app', '--password', 'hunter2', 'next'],
    ['app', '--password', R, 'next'],
  ],
  [
    ['app', '--token', '--verbose'],
    ['app', '--token', '--verbose'],
  ],
  [
    ['sh', '-c', 'app --token abc --port 80'],
    ['sh', '-c', `app --token ${R} --port 80`],
  ],
  // curl: credentials in the query, headers whole or split over arguments, -u user:password
  [
    ['curl', 'https://h/x?token=abc123'],
    ['curl', `https://h/x?token=${R}`],
  ],
  [
    ['curl', 'https://api.example.com/v1?user=bob&token=t0k&x=1'],
    ['curl', `https://api.example.com/v1?user=bob&token=${R}&x=1`],
  ],
  [
    ['curl', 'https://h/cb#access_token=at&state=s'],
    ['curl', `https://h/cb#access_token=${R}&state=s`],
  ],
  [
    ['curl', 'https://s3.amazonaws.com/b/k?X-Amz-Credential=AKIA1&X-Amz-Signature=abcdef&X-Amz-Expires=60'],
    ['curl', `https://s3.amazonaws.com/b/k?X-Amz-Credential=${R}&X-Amz-Signature=${R}&X-Amz-Expires=60`],
  ],
  [
    ['curl', 'https://acct.blob.core.windows.net/c/f?sv=2020&sig=azsig&se=2030'],
    ['curl', `https://acct.blob.core.windows.net/c/f?sv=2020&sig=${R}&se=2030`],
  ],
  [
    ['curl', '-H', 'Authorization: Bearer eyJhbGciOi.x.y'],
    ['curl', '-H', `Authorization: Bearer ${R}`],
  ],
  [
    ['curl', '-H', 'Authorization:', 'Bearer xyz', 'https://api/x'],
    ['curl', '-H', 'Authorization:', `Bearer ${R}`, 'https://api/x'],
  ],
  [
    ['curl', '-H', 'Authorization: Bearer', 'xyz'],
    ['curl', '-H', 'Authorization: Bearer', R],
  ],
  [
    ['curl', '-H', 'Authorization:', 'Bearer', 'xyz'],
    ['curl', '-H', 'Authorization:', 'Bearer', R],
  ],
  [
    ['curl', '--oauth2-bearer', 'tok'],
    ['curl', '--oauth2-bearer', R],
  ],
  [
    ['curl', '-u', 'admin:hunter2', 'https://h/'],
    ['curl', '-u', `admin:${R}`, 'https://h/'],
  ],
  [
    ['curl', '--user=admin:hunter2', 'https://h/'],
    ['curl', `--user=admin:${R}`, 'https://h/'],
  ],
  [
    ['curl', '-uadmin:hunter2', 'https://h/'],
    ['curl', `-uadmin:${R}`, 'https://h/'],
  ],
  [
    ['curl', '-H', 'X-Api-Key: k3y', '-H', 'Cookie: session=abc; theme=dark', 'https://h'],
    ['curl', '-H', `X-Api-Key: ${R}`, '-H', `Cookie: ${R}`, 'https://h'],
  ],
  [
    ['sh', '-c', "curl -s -H 'Authorization: Bearer eyJ.x.y' 'https://h/x?access_token=abc&q=1'"],
    ['sh', '-c', `curl -s -H 'Authorization: Bearer ${R}' 'https://h/x?access_token=${R}&q=1'`],
  ],
  // mysql's glued password, also inside sh -c and a script inside a script
  [
    ['mysql', '-uroot', '-pS3cret'],
    ['mysql', '-uroot', `-p${R}`],
  ],
  [
    ['sh', '-c', 'mysql -uroot -pS3cretPW -h db app < dump.sql'],
    ['sh', '-c', `mysql -uroot -p${R} -h db app < dump.sql`],
  ],
  [
    ['sh', '-c', "bash -c 'mysqldump -pInnerPW db'"],
    ['sh', '-c', `bash -c 'mysqldump -p${R} db'`],
  ],
  [
    ['docker', 'exec', 'db', 'mysql', '-pS3cret'],
    ['docker', 'exec', 'db', 'mysql', `-p${R}`],
  ],
  // psql: URLs, PGPASSWORD=, conninfo strings
  [
    ['app', 'postgres://admin:s3cret@db:5432/app'],
    ['app', `postgres://admin:${R}@db:5432/app`],
  ],
  [
    ['psql', 'postgresql://app:pgpw@db:5432/app?sslmode=require'],
    ['psql', `postgresql://app:${R}@db:5432/app?sslmode=require`],
  ],
  [
    ['sh', '-c', 'PGPASSWORD=pgpw psql -h db -U app -c "select 1"'],
    ['sh', '-c', `PGPASSWORD=${R} psql -h db -U app -c "select 1"`],
  ],
  [
    ['psql', 'host=db user=app password=pgpw dbname=app'],
    ['psql', `host=db user=app password=${R} dbname=app`],
  ],
  // redis-cli -a, and its URL
  [
    ['redis-cli', '-h', 'cache', '-p', '6379', '-a', 'r3dis', 'ping'],
    ['redis-cli', '-h', 'cache', '-p', '6379', '-a', R, 'ping'],
  ],
  [
    ['redis-cli', '-u', 'redis://:r3dis@cache:6379/0'],
    ['redis-cli', '-u', `redis://:${R}@cache:6379/0`],
  ],
  // java -D
  [
    ['java', '-Dpassword=jpw', '-Djavax.net.ssl.keyStorePassword=ksp', '-Xmx2g', '-jar', 'app.jar'],
    ['java', `-Dpassword=${R}`, `-Djavax.net.ssl.keyStorePassword=${R}`, '-Xmx2g', '-jar', 'app.jar'],
  ],
  [
    ['java', '-Dapp.auth.secret=x', '-Dfile.encoding=UTF-8'],
    ['java', `-Dapp.auth.secret=${R}`, '-Dfile.encoding=UTF-8'],
  ],
  // docker
  [
    ['docker', 'run', '-e', 'SECRET=dockersecret', '-e', 'NODE_ENV=production', '-p', '8080:80', 'img'],
    ['docker', 'run', '-e', `SECRET=${R}`, '-e', 'NODE_ENV=production', '-p', '8080:80', 'img'],
  ],
  [
    ['docker', 'run', '--env=API_KEY=apikey1', 'img'],
    ['docker', 'run', `--env=API_KEY=${R}`, 'img'],
  ],
  [
    ['docker', 'login', '-u', 'me', '-p', 'dockerpw', 'registry.example.com'],
    ['docker', 'login', '-u', 'me', '-p', R, 'registry.example.com'],
  ],
  // aws
  [
    ['aws', 's3', 'ls', '--secret-access-key', 'AWSSECRET', '--region', 'eu-west-1'],
    ['aws', 's3', 'ls', '--secret-access-key', R, '--region', 'eu-west-1'],
  ],
  [
    ['aws', 'configure', 'set', 'aws_secret_access_key', 'AWSSECRET2'],
    ['aws', 'configure', 'set', 'aws_secret_access_key', R],
  ],
  // kubectl
  [
    ['kubectl', '--token=kubetoken', 'get', 'pods', '-n', 'kube-system'],
    ['kubectl', `--token=${R}`, 'get', 'pods', '-n', 'kube-system'],
  ],
  [
    ['kubectl', '--username', 'admin', '--password', 'kubepw', 'get', 'nodes'],
    ['kubectl', '--username', 'admin', '--password', R, 'get', 'nodes'],
  ],
  [
    ['kubectl', 'create', 'secret', 'generic', 's', '--from-literal=password=kpw2'],
    ['kubectl', 'create', 'secret', 'generic', 's', `--from-literal=password=${R}`],
  ],
  // git and gh: tokens in URLs and headers
  [
    ['git', 'clone', 'https://x-access-token:ghp_abc@github.com/o/r'],
    ['git', 'clone', `https://x-access-token:${R}@github.com/o/r`],
  ],
  [
    ['git', 'clone', 'https://ghp_tokenonly@github.com/o/r.git'],
    ['git', 'clone', `https://${R}@github.com/o/r.git`],
  ],
  [
    ['git', '-c', 'http.extraheader=AUTHORIZATION: basic Zm9vOmJhcg==', 'clone', 'https://h/r'],
    ['git', '-c', `http.extraheader=AUTHORIZATION: basic ${R}`, 'clone', 'https://h/r'],
  ],
  [
    ['git', 'config', '--global', 'user.password', 'gitpw'],
    ['git', 'config', '--global', 'user.password', R],
  ],
  [
    ['gh', 'api', '-H', 'Authorization: token ghtok', '/user'],
    ['gh', 'api', '-H', `Authorization: token ${R}`, '/user'],
  ],
  [
    ['sh', '-c', 'GH_TOKEN=ghtok2 gh release list'],
    ['sh', '-c', `GH_TOKEN=${R} gh release list`],
  ],
  [
    ['npm', 'config', 'set', '//registry.npmjs.org/:_authToken', 'npmtok'],
    ['npm', 'config', 'set', '//registry.npmjs.org/:_authToken', R],
  ],
  // others: sshpass (but ssh's -p is a port), mongosh, wget, openssl
  [
    ['sshpass', '-p', 'sshpw', 'ssh', '-p', '2222', 'host'],
    ['sshpass', '-p', R, 'ssh', '-p', '2222', 'host'],
  ],
  [
    ['mongosh', 'mongodb+srv://u:mpw@cluster0.example.net/db'],
    ['mongosh', `mongodb+srv://u:${R}@cluster0.example.net/db`],
  ],
  [
    ['wget', '--http-password=wpw', 'https://h/f'],
    ['wget', `--http-password=${R}`, 'https://h/f'],
  ],
  [
    ['openssl', 'pkcs12', '-in', 'a.p12', '-passin', 'pass:p12pw'],
    ['openssl', 'pkcs12', '-in', 'a.p12', '-passin', R],
  ],
  // harmless lines stay as they are
  [
    ['node', '--inspect=0.0.0.0:9229', 'server.js'],
    ['node', '--inspect=0.0.0.0:9229', 'server.js'],
  ],
  [
    ['node', '--inspect-brk', '--max-old-space-size=4096', 'server.js'],
    ['node', '--inspect-brk', '--max-old-space-size=4096', 'server.js'],
  ],
  [
    ['nginx', '-g', 'daemon off;'],
    ['nginx', '-g', 'daemon off;'],
  ],
  [
    ['sh', '-c', 'mkdir -p /data && exec nginx -g "daemon off;"'],
    ['sh', '-c', 'mkdir -p /data && exec nginx -g "daemon off;"'],
  ],
  [
    ['python3', '-m', 'http.server', '8000'],
    ['python3', '-m', 'http.server', '8000'],
  ],
  [
    ['curl', 'https://example.com/path?q=1&page=2'],
    ['curl', 'https://example.com/path?q=1&page=2'],
  ],
  [
    ['git', 'clone', 'ssh://git@github.com/o/r.git'],
    ['git', 'clone', 'ssh://git@github.com/o/r.git'],
  ],
  [
    ['ssh', '-p', '22', 'host'],
    ['ssh', '-p', '22', 'host'],
  ],
  [
    ['mysql', '-p', 'app'],
    ['mysql', '-p', 'app'],
  ],
  // Oracle's connect strings: user/password@database, in a JDBC URL and as its tools' argument
  [
    ['java', '-Djdbc.url=jdbc:oracle:thin:scott/tiger99@db:1521:orcl', '-jar', 'app.jar'],
    ['java', `-Djdbc.url=jdbc:oracle:thin:scott/${R}@db:1521:orcl`, '-jar', 'app.jar'],
  ],
  [
    ['sqlplus', '-s', 'scott/tiger99@//db:1521/orcl', '@scripts/run.sql'],
    ['sqlplus', '-s', `scott/${R}@//db:1521/orcl`, '@scripts/run.sql'],
  ],
  [
    ['sh', '-c', 'expdp system/tiger99 schemas=app'],
    ['sh', '-c', `expdp system/${R} schemas=app`],
  ],
  [
    ['sqlplus', '/', 'as', 'sysdba'],
    ['sqlplus', '/', 'as', 'sysdba'],
  ],
  [
    ['find', '/', '-path', '/proc', '-prune', '-o', '-print'],
    ['find', '/', '-path', '/proc', '-prune', '-o', '-print'],
  ],
  [
    ['psql', '-h', 'db', '-U', 'app', 'app'],
    ['psql', '-h', 'db', '-U', 'app', 'app'],
  ],
  [
    ['docker', 'run', '-u', '1000:1000', '-v', '/a:/b', 'img'],
    ['docker', 'run', '-u', '1000:1000', '-v', '/a:/b', 'img'],
  ],
];

// One test per command line, so that a failure names it and the count says how many fail.
for (const [input, expected] of CASES) {
  test(`redacts: ${JSON.stringify(input)}`, () => {
    assert.deepEqual(redactArgs(input), expected);
  });
}

test('redactCommand joins the redacted arguments; no command line is null', () => {
  assert.equal(redactCommand(['a', '--password=x']), `a --password=${REDACTED}`);
  assert.equal(redactCommand([]), null);
  assert.equal(redactCommand(null), null);
});

test('a secret value never survives, whatever surrounds it', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/);
  const name = fc.constantFrom('password', 'token', 'secret', 'api_key', 'PGPASSWORD', 'auth');
  // Arguments are separated by "|".
  const form = fc.constantFrom(
    '--{N}={S}',
    '{N}={S}',
    'x?a=1&{N}={S}',
    'scheme://user:{S}@host/p',
    'Bearer {S}',
    '--{N}="{S}"',
    "--{N}='{S}'",
    'https://h/x?{N}={S}',
    'https://h/x?q=1&{N}={S}#f',
    '{"{N}":"{S}"}',
    '-H|Authorization:|Bearer|{S}',
    '-H|Authorization: Bearer|{S}',
    '-H|Authorization:|{S}',
    'curl|-u|user:{S}',
    'sh|-c|mysql -u root -p{S} db',
    'sh|-c|app --{N}="{S}" -v',
    'sh|-c|curl -H "Authorization: Bearer {S}" https://h',
  );
  fc.assert(
    fc.property(
      secret,
      name,
      form,
      fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 3 }),
      (s, n, f, other) => {
        const args = f.replace('{N}', n).replace('{S}', s).split('|');
        const out = redactArgs([...other, ...args, ...other]).join(' ');
        assert.ok(!out.includes(s), `"${s}" leaked from ${JSON.stringify(args)}: ${out}`);
      },
    ),
  );
});

test('shell words: quotes and backslashes removed, commands separated, positions kept', () => {
  const text = `a 'b c' "d \\"e\\"" f\\ g; h&&i`;
  const words = shellWords(text);
  assert.deepEqual(
    words.map((w) => (w === null ? null : w.value)),
    ['a', 'b c', 'd "e"', 'f g', null, 'h', null, 'i'],
  );
  assert.deepEqual(
    words.map((w) => (w === null ? null : text.slice(w.start, w.end))),
    ['a', "'b c'", '"d \\"e\\""', 'f\\ g', null, 'h', null, 'i'],
  );
  assert.deepEqual(
    words.map((w) => w?.quote ?? null),
    [null, "'", '"', null, null, null, null, null],
  );
  // An unterminated quote runs to the end, never throws.
  assert.deepEqual(
    shellWords("x 'y z").map((w) => w?.value),
    ['x', 'y z'],
  );
});

test('redaction never throws and always ends, whatever the arguments', () => {
  // \v and U+00A0 are blanks to a regex but not to the shell: they once made it recurse forever.
  assert.deepEqual(redactArgs(['\v', 'a\u00a0b', "sh -c '\v'"]), ['\v', 'a\u00a0b', "sh -c '\v'"]);
  const symbols = fc.constantFrom(
    ...'ab =:"\'\\-p;&|/?@#\v\u00a0\n'.split(''),
    'Bearer',
    'Authorization',
    'mysql',
  );
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: symbols })), { maxLength: 8 }),
      (args) => {
        assert.equal(redactArgs(args).length, args.length);
      },
    ),
    { numRuns: 2000 },
  );
});
