/**
 * `sluice nginx` as a user runs it: help, usage errors (exit 2), lint exit codes (0 nothing
 * breaks streaming, 1 something does, 2 unreadable), and the committed deploy/nginx/nginx.conf
 * that compose.yaml mounts, which must stay what the generator prints.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nginx } from '../src/cli/nginx.ts';

const FIXTURES = fileURLToPath(new URL('fixtures/nginx-lint/', import.meta.url));
const COMMITTED = fileURLToPath(new URL('../deploy/nginx/nginx.conf', import.meta.url));
/** The arguments deploy/nginx/nginx.conf is generated with (compose: nginx → sluice:8080). */
const COMPOSE_ARGS = ['--full', '--listen', '80', '--upstream', 'sluice:8080'];

async function run(args: string[], stdin?: string) {
  let stdout = '';
  let stderr = '';
  const code = await nginx.run(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    ...(stdin === undefined ? {} : { stdin: () => Promise.resolve(stdin) }),
  });
  return { code, stdout, stderr };
}

describe('sluice nginx (command line)', () => {
  it('--help explains both modes, exit 0', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: sluice nginx/);
    assert.match(stdout, /--lint FILE/);
    assert.match(stdout, /--full/);
  });

  it('prints the blocks, and reminds on stderr to trust nginx in Sluice', async () => {
    const { code, stdout, stderr } = await run([
      '--upstream',
      '127.0.0.1:8080',
      '--server-name',
      'chat.example.com',
    ]);
    assert.equal(code, 0);
    assert.match(stdout, /^upstream sluice \{$/m);
    assert.match(stdout, /server_name chat\.example\.com;/);
    assert.doesNotMatch(stdout, /^events/m);
    assert.equal(stderr.split('\n').filter(Boolean).length, 1);
    assert.match(stderr, /SLUICE_TRUSTED_PROXIES/);
  });

  it('exits 2 on bad flags, saying what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['--bogus'], /Unknown option '--bogus'/],
      [['--listen', 'eighty'], /--listen takes \[HOST:\]PORT/],
      [['--upstream', '8080'], /--upstream needs a host/],
      [['--tls-cert', 'c.pem'], /--tls-cert and --tls-key go together/],
      [['--http-listen', '80'], /needs --tls-cert/],
      [['--server-name', 'a;b'], /--server-name takes host names/],
      [['--lint', 'x.conf', '--listen', '80'], /--lint does not combine with --listen/],
      [['--json'], /go with --lint/],
      [['--lint', 'x.conf', '--keepalive', 'often'], /--keepalive takes a duration/],
      [['extra'], /Unexpected argument|unexpected "extra"/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr, stdout } = await run(args);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, message);
      assert.equal(stdout, '');
    }
  });

  it('--lint exits 1 when something breaks streaming, 0 when only warnings and notes', async () => {
    const broken = await run(['--lint', `${FIXTURES}includes/nginx.conf`]);
    assert.equal(broken.code, 1);
    assert.match(
      broken.stdout,
      /a-sluice\.conf:10: error: proxy_buffering is on .* \(fix: proxy_buffering off;/,
    );
    assert.match(
      broken.stdout,
      /^2 errors, 3 warnings, 7 notes .*streams are held back or cut\.$/m,
    );
    const fine = await run(['--lint', `${FIXTURES}defaults.conf`]);
    assert.equal(fine.code, 0);
    assert.match(fine.stdout, /nothing here breaks streaming/);
  });

  it('--lint - reads stdin, an `nginx -T` dump included; --json for scripts', async () => {
    const dump = readFileSync(`${FIXTURES}nginx-T.txt`, 'utf8');
    const { code, stdout } = await run(['--lint', '-', '--json'], dump);
    assert.equal(code, 1);
    const report = JSON.parse(stdout) as {
      ok: boolean;
      error: number;
      findings: { rule: string; file: string; line: number; fix: string }[];
    };
    assert.equal(report.ok, false);
    assert.equal(report.error, 2);
    assert.deepEqual(
      report.findings.map((f) => `${f.rule} ${f.file}:${f.line}`),
      [
        'buffering-forced /etc/nginx/sites-enabled/sluice:10',
        'proxy-cache /etc/nginx/sites-enabled/sluice:11',
      ],
    );
  });

  it('--lint exits 2 for a file it cannot read or parse, saying where', async () => {
    const missing = await run(['--lint', `${FIXTURES}no-such.conf`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*no-such\.conf/);
    const broken = await run(['--lint', `${FIXTURES}syntax/nginx.conf`]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /syntax\/broken\.conf:6: syntax error: unexpected "}"/);
  });

  it('deploy/nginx/nginx.conf is exactly what `sluice nginx --full` prints for compose', async () => {
    const { code, stdout } = await run(COMPOSE_ARGS);
    assert.equal(code, 0);
    assert.equal(
      readFileSync(COMMITTED, 'utf8'),
      stdout,
      `deploy/nginx/nginx.conf drifted: regenerate it with\n  sluice nginx ${COMPOSE_ARGS.join(' ')} > deploy/nginx/nginx.conf`,
    );
  });
});
