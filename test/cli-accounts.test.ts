/**
 * `sluice users`, `sluice keys`, `sluice usage` against a real SQLite store in a temp data dir,
 * run in-process through `main` with an injected stdin, and once through the real binary with
 * the password piped in, as an install script would.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Accounts, KeyAuthenticator } from '../src/accounts/index.ts';
import { SluiceError } from '../src/errors/index.ts';
import { USAGE_CSV_COLUMNS, usageCsv } from '../src/admin/index.ts';
import { main } from '../src/cli/main.ts';
import { NO_LIMITS, openStore, type Store, type UsageRecord } from '../src/store/index.ts';
import { jsonReply, startFakeUpstream } from './support/fake-upstream.ts';
import { sluiceFor } from './support/sluice.ts';
import { usageRecord } from './support/usage-record.ts';

const PASSWORD = 'correct horse battery';

interface Result {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function sluice(
  argv: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Result> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: options.env ?? {},
    ...(options.stdin === undefined ? {} : { stdin: () => Promise.resolve(options.stdin ?? '') }),
  });
  return { code, out, err };
}

/** The JSON a successful command printed. */
function parse(result: Result): unknown {
  assert.equal(result.code, 0, result.err);
  return JSON.parse(result.out);
}

interface KeyJson {
  id: string;
  key?: string;
  prefix: string;
  name: string;
  user: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  models: string[] | null;
  routes: string[];
  limits: Record<string, number | string | null>;
}

interface UserJson {
  username: string;
  role: string;
  disabled: boolean;
  limits: Record<string, number | string | null>;
}

/** The 401/403 `SluiceError` that authenticating `key` ends in, or the principal. */
async function authenticate(store: Store, key: string): Promise<string> {
  try {
    const principal = await new KeyAuthenticator({ adminKey: undefined, store }).authenticate(key);
    return principal.kind === 'key' ? `ok ${principal.user.username}` : 'ok admin';
  } catch (error) {
    if (error instanceof SluiceError) return `${error.status} ${error.code}`;
    throw error;
  }
}

function record(fields: Partial<UsageRecord> & Pick<UsageRecord, 'id' | 'startedAt'>): UsageRecord {
  return usageRecord({
    clientIp: '127.0.0.1',
    upstream: 'openai',
    upstreamTtfbMs: 100,
    clientTtfbMs: 110,
    events: 10,
    bytes: 2000,
    maxGapMs: 50,
    usageSource: 'upstream',
    ...fields,
  });
}

describe('sluice users, keys and usage', () => {
  let dir: string;
  let env: Record<string, string>;
  /** The same database, opened by the test to check what the commands did. */
  let store: Store;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-accounts-'));
    env = { SLUICE_DATA_DIR: join(dir, 'data') };
    store = await openStore({ dataDir: env.SLUICE_DATA_DIR ?? '' });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the first user an admin, the next one a user', async () => {
    const first = await sluice(['users', 'add', 'ada', '--password-stdin'], {
      env,
      stdin: `${PASSWORD}\n`,
    });
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /Added user "ada" \(admin: the first user always is\)/);
    const second = await sluice(['users', 'add', 'bob', '--password-stdin'], {
      env,
      stdin: PASSWORD,
    });
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /Added user "bob" \(user\)/);

    const listed = parse(await sluice(['users', 'list', '--json'], { env })) as UserJson[];
    assert.deepEqual(
      listed.map((u) => [u.username, u.role, u.disabled]),
      [
        ['ada', 'admin', false],
        ['bob', 'user', false],
      ],
    );
    // The trailing newline of the piped password was dropped, and only it.
    const accounts = new Accounts(store, { key: NO_LIMITS, user: NO_LIMITS });
    assert.equal((await accounts.checkPassword('ada', PASSWORD))?.username, 'ada');

    const table = await sluice(['users', 'list'], { env });
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^USERNAME +ROLE +STATUS +CREATED +LIMITS\nada +admin +active +\d{4}-/);
  });

  it('refuses a duplicate username, whatever its case, with exit 1', async () => {
    const result = await sluice(['users', 'add', 'ADA', '--password-stdin'], {
      env,
      stdin: PASSWORD,
    });
    assert.equal(result.code, 1);
    assert.equal(result.err, 'sluice users add: The username "ADA" is taken.\n');
  });

  it('refuses a weak password with exit 1', async () => {
    const result = await sluice(['users', 'add', 'carol', '--password-stdin'], {
      env,
      stdin: 'short\n',
    });
    assert.equal(result.code, 1);
    assert.match(
      result.err,
      /^sluice users add: The password is too weak: it must have at least 10/,
    );
  });

  it('exits 2 with the usage line for a missing NAME, flag or stdin password', async () => {
    const noName = await sluice(['users', 'add', '--password-stdin'], { env, stdin: PASSWORD });
    assert.equal(noName.code, 2);
    assert.match(noName.err, /^sluice users add: NAME is missing\nUsage: sluice users add NAME/);
    assert.match(noName.err, /Run "sluice users add --help" for usage/);
    const noFlag = await sluice(['users', 'add', 'carol'], { env, stdin: PASSWORD });
    assert.equal(noFlag.code, 2);
    assert.match(noFlag.err, /--password-stdin/);
    const badFlag = await sluice(['keys', 'create', '--usr', 'bob'], { env });
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.err, /Unknown option '--usr'/);
    const noSub = await sluice(['users', 'frobnicate'], { env });
    assert.equal(noSub.code, 2);
    assert.match(noSub.err, /unknown subcommand "frobnicate"/);
  });

  it('creates a key shown once (--json), which authenticates until revoked by prefix', async () => {
    const created = parse(
      await sluice(['keys', 'create', '--user', 'bob', '--name', 'ci', '--rpm', '60', '--json'], {
        env,
      }),
    ) as KeyJson;
    assert.match(created.id, /^key_/);
    assert.match(created.key ?? '', /^sk-sluice-[0-9A-Za-z]{40}$/);
    assert.ok(created.key?.startsWith(created.prefix));
    assert.equal(created.user, 'bob');
    assert.equal(created.name, 'ci');
    assert.equal(created.limits.rpm, 60);
    assert.equal(created.revoked_at, null);
    assert.equal(await authenticate(store, created.key ?? ''), 'ok bob');

    const listed = parse(await sluice(['keys', 'list', '--json'], { env })) as KeyJson[];
    assert.deepEqual(
      listed.map((k) => k.prefix),
      [created.prefix],
    );
    assert.equal(listed[0]?.key, undefined, 'the secret is never listed');

    const table = await sluice(['keys', 'list', '--user', 'bob'], { env });
    assert.equal(table.code, 0, table.err);
    assert.match(
      table.out,
      /^PREFIX +NAME +USER +CREATED +LAST USED +EXPIRES +REVOKED +ROUTES +LIMITS\n/,
    );
    assert.match(
      table.out,
      new RegExp(
        `${created.prefix} +ci +bob +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d +- +- +- +- +rpm 60\\n`,
      ),
    );

    const revoked = await sluice(['keys', 'revoke', created.prefix], { env });
    assert.equal(revoked.code, 0, revoked.err);
    assert.equal(revoked.out, `Revoked key ${created.prefix}… "ci" of "bob".\n`);
    assert.equal(await authenticate(store, created.key ?? ''), '401 invalid_api_key');
    const after = parse(
      await sluice(['keys', 'list', '--json', '--user', 'bob'], { env }),
    ) as KeyJson[];
    assert.match(after[0]?.revoked_at ?? '', /^\d{4}-/);

    const unknown = await sluice(['keys', 'revoke', 'sk-sluice-nope'], { env });
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.err,
      /^sluice keys revoke: There is no key with id or prefix "sk-sluice-nope"/,
    );
  });

  it('prints a readable key block that says it will not be shown again', async () => {
    const result = await sluice(
      ['keys', 'create', '--user', 'ada', '--models', 'gpt-4o, claude-*', '--expires', '30d'],
      { env },
    );
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^Created a key for "ada":\n\n {4}sk-sluice-[0-9A-Za-z]{40}\n\n/);
    assert.match(result.out, /only time the key is shown/);
    assert.match(result.out, /models +gpt-4o, claude-\*\n/);
    const expires = /expires +(\S+)\n/.exec(result.out)?.[1] ?? '';
    const days = (Date.parse(expires) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires ${expires}`);
  });

  it('checks --user, --expires and --models', async () => {
    const unknown = await sluice(['keys', 'create', '--user', 'zed'], { env });
    assert.equal(unknown.code, 1);
    assert.equal(unknown.err, 'sluice keys create: There is no user "zed".\n');
    const past = await sluice(['keys', 'create', '--user', 'bob', '--expires', '2020-01-01'], {
      env,
    });
    assert.equal(past.code, 1);
    assert.match(past.err, /expiry must be in the future/);
    const garbage = await sluice(['keys', 'create', '--user', 'bob', '--expires', 'soon'], { env });
    assert.equal(garbage.code, 2);
    assert.match(garbage.err, /--expires takes an ISO time/);
    const noUser = await sluice(['keys', 'create'], { env });
    assert.equal(noUser.code, 2);
    assert.match(noUser.err, /--user NAME is required/);
  });

  it('gives a key the default limits of the config file, flags merged over them', async () => {
    const config = join(dir, 'limits.json');
    await writeFile(config, JSON.stringify({ defaultLimits: { key: { rpm: 10, maxStreams: 2 } } }));
    const plain = parse(
      await sluice(['keys', 'create', '--user', 'bob', '--json', '--config', config], { env }),
    ) as KeyJson;
    assert.deepEqual(plain.limits, {
      rpm: 10,
      tpm: null,
      max_streams: 2,
      budget_tokens: null,
      budget_cost: null,
      budget_period: 'month',
    });
    const merged = parse(
      await sluice(
        ['keys', 'create', '--user', 'bob', '--json', '--tpm', '1000', '--max-streams', 'none'],
        { env: { ...env, SLUICE_CONFIG: config } },
      ),
    ) as KeyJson;
    assert.deepEqual(
      [merged.limits.rpm, merged.limits.tpm, merged.limits.max_streams],
      [10, 1000, null],
    );
  });

  it('disables and enables a user, changes their password and limits', async () => {
    const created = parse(
      await sluice(['keys', 'create', '--user', 'bob', '--json'], { env }),
    ) as KeyJson;
    const key = created.key ?? '';

    const disabled = await sluice(['users', 'disable', 'bob'], { env });
    assert.equal(disabled.code, 0, disabled.err);
    assert.match(disabled.out, /Disabled "bob"/);
    assert.equal(await authenticate(store, key), '403 account_disabled');
    const enabled = await sluice(['users', 'enable', 'BOB'], { env });
    assert.equal(enabled.code, 0, enabled.err);
    assert.equal(await authenticate(store, key), 'ok bob');

    const passwd = await sluice(['users', 'passwd', 'bob', '--password-stdin'], {
      env,
      stdin: 'another fine password\n',
    });
    assert.equal(passwd.code, 0, passwd.err);
    const accounts = new Accounts(store, { key: NO_LIMITS, user: NO_LIMITS });
    assert.equal((await accounts.checkPassword('bob', 'another fine password'))?.username, 'bob');
    assert.equal(await accounts.checkPassword('bob', PASSWORD), undefined);
    const weak = await sluice(['users', 'passwd', 'bob', '--password-stdin'], {
      env,
      stdin: 'bob',
    });
    assert.equal(weak.code, 1);

    const limits = await sluice(
      ['users', 'limits', 'bob', '--rpm', '30', '--budget-cost', '2.5', '--budget-period', 'day'],
      { env },
    );
    assert.equal(limits.code, 0, limits.err);
    assert.equal(limits.out, 'Limits of "bob": rpm 30, $2.5/day\n');
    const cleared = await sluice(['users', 'limits', 'bob', '--rpm', 'none', '--tpm', '500'], {
      env,
    });
    assert.equal(cleared.out, 'Limits of "bob": tpm 500, $2.5/day\n');
    const shown = await sluice(['users', 'limits', 'bob'], { env });
    assert.equal(shown.out, cleared.out);
    const listed = parse(await sluice(['users', 'list', '--json'], { env })) as UserJson[];
    assert.deepEqual(listed.find((u) => u.username === 'bob')?.limits, {
      rpm: null,
      tpm: 500,
      max_streams: null,
      budget_tokens: null,
      budget_cost: 2.5,
      budget_period: 'day',
    });
    const zero = await sluice(['users', 'limits', 'bob', '--rpm', '0'], { env });
    assert.equal(zero.code, 2);
    assert.match(
      zero.err,
      /--rpm takes a whole number from 1 to 9007199254740991, or "none"; got "0"/,
    );
    // Past 2^53 a count is no longer exact (and past 2^63 no store keeps it).
    const huge = await sluice(['users', 'limits', 'bob', '--tpm', '100000000000000000000'], {
      env,
    });
    assert.equal(huge.code, 2);
    assert.match(huge.err, /--tpm takes a whole number from 1 to 9007199254740991/);
    const missing = await sluice(['users', 'disable', 'nobody'], { env });
    assert.equal(missing.code, 1);
    assert.equal(missing.err, 'sluice users disable: There is no user "nobody".\n');
  });

  it('makes a user an admin and back', async () => {
    const promoted = await sluice(['users', 'role', 'bob', 'admin'], { env });
    assert.equal(promoted.out, '"bob" is now an admin.\n');
    const demoted = await sluice(['users', 'role', 'bob', 'user'], { env });
    assert.equal(demoted.out, '"bob" is now a user.\n');
    assert.equal((await sluice(['users', 'role', 'bob', 'root'], { env })).code, 2);
  });

  it('prints usage records (--json) filtered by user and time, and a grouped table', async () => {
    const ada = await store.findUserByName('ada');
    const bob = await store.findUserByName('bob');
    assert.ok(ada !== undefined && bob !== undefined);
    const day1 = Date.parse('2026-03-01T10:00:00Z');
    const day2 = Date.parse('2026-03-02T10:00:00Z');
    await store.writeUsage([
      record({
        id: 'u1',
        startedAt: day1,
        userId: ada.id,
        username: 'ada',
        model: 'gpt-4o',
        promptTokens: 10,
        completionTokens: 5,
        cost: 0.01,
      }),
      record({
        id: 'u2',
        startedAt: day1 + 60_000,
        userId: bob.id,
        username: 'bob',
        model: 'gpt-4o',
        promptTokens: 20,
        completionTokens: 7,
        cost: 0.02,
      }),
      record({
        id: 'u3',
        startedAt: day2,
        userId: bob.id,
        username: 'bob',
        model: 'claude-x',
        promptTokens: 30,
        completionTokens: 9,
        cost: 0.5,
        clientTtfbMs: 300,
      }),
    ]);

    const all = parse(await sluice(['usage', '--json'], { env })) as Record<string, unknown>[];
    assert.deepEqual(
      all.map((r) => r.id),
      ['u3', 'u2', 'u1'],
    );
    assert.deepEqual(all[0], {
      id: 'u3',
      user: 'bob',
      key_prefix: null,
      client_ip: '127.0.0.1',
      model: 'claude-x',
      requested_model: null,
      upstream: 'openai',
      endpoint: '/v1/chat/completions',
      status: 200,
      started_at: '2026-03-02T10:00:00.000Z',
      ended_at: '2026-03-02T10:00:01.000Z',
      upstream_ttfb_ms: 100,
      client_ttfb_ms: 300,
      client_ttft_ms: null,
      upstreams_tried: null,
      events: 10,
      bytes: 2000,
      max_gap_ms: 50,
      prompt_tokens: 30,
      completion_tokens: 9,
      cached_tokens: 0,
      reasoning_tokens: 0,
      searches: 0,
      cost: 0.5,
      usage_source: 'upstream',
      end_reason: 'done',
    });
    const ids = async (...args: string[]) =>
      (parse(await sluice(['usage', '--json', ...args], { env })) as { id: string }[]).map(
        (r) => r.id,
      );
    assert.deepEqual(await ids('--user', 'bob'), ['u3', 'u2']);
    assert.deepEqual(await ids('--since', '2026-03-02'), ['u3']);
    assert.deepEqual(await ids('--until', '2026-03-02T00:00:00Z'), ['u2', 'u1']);
    assert.deepEqual(await ids('--limit', '1'), ['u3']);
    assert.deepEqual(await ids('--since', '1d'), [], 'relative: nothing in the last day');

    const table = await sluice(['usage', '--by', 'user,model'], { env });
    assert.equal(table.code, 0, table.err);
    assert.equal(
      table.out,
      [
        'USER   MODEL     REQUESTS  PROMPT  COMPLETION     COST  TTFB P50',
        'ada    gpt-4o           1      10           5  $0.0100    110 ms',
        'bob    claude-x         1      30           9  $0.5000    300 ms',
        'bob    gpt-4o           1      20           7  $0.0200    110 ms',
        '-----  --------  --------  ------  ----------  -------  --------',
        'total                   3      60          21  $0.5300    110 ms',
        '',
      ].join('\n'),
    );
    const byDay = await sluice(['usage', '--user', 'bob'], { env });
    assert.match(byDay.out, /^USER +MODEL +DAY +REQUESTS/);
    assert.match(byDay.out, /bob +gpt-4o +2026-03-01 +1 +20 +7/);
    const none = await sluice(['usage', '--since', '1h'], { env });
    assert.equal(none.out, 'No usage recorded for this selection.\n');
    const badBy = await sluice(['usage', '--by', 'user,colour'], { env });
    assert.equal(badBy.code, 2);
    const badSince = await sluice(['usage', '--since', 'yesterday'], { env });
    assert.equal(badSince.code, 2);
  });

  it('shows a model name a client sent with escape sequences in it escaped, not run by the terminal', async () => {
    const ada = await store.findUserByName('ada');
    assert.ok(ada !== undefined);
    // What a request's "model" can hold: OSC 0 (retitle the window), CSI as one character
    // (U+009B, clear the screen), and an RTL override that shows the columns after it reversed.
    const model = 'gpt\u001b]0;pwned\u0007\u009b2J\u202e';
    await store.writeUsage([
      record({
        id: 'u-escape',
        startedAt: Date.parse('2026-04-01T10:00:00Z'),
        userId: ada.id,
        username: 'ada',
        model,
      }),
    ]);
    const table = await sluice(['usage', '--by', 'model', '--since', '2026-04-01'], { env });
    assert.equal(table.code, 0, table.err);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(table.out, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    assert.match(table.out, /^gpt\\u001b\]0;pwned\\u0007\\u009b2J\\u202e +1 /m);
    // As JSON too: escaped where JSON.stringify leaves them, the same value once parsed.
    const json = await sluice(['usage', '--json', '--since', '2026-04-01'], { env });
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(json.out, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    assert.equal((parse(json) as { model: string }[])[0]?.model, model);
  });

  it('prints the records as CSV (--csv), the API’s columns, with every filter', async () => {
    // u1..u3 from the test before; a model list of ada's, which the table does not count.
    const ada = await store.findUserByName('ada');
    assert.ok(ada !== undefined);
    await store.writeUsage([
      record({
        id: 'u4',
        startedAt: Date.parse('2026-03-02T11:00:00Z'),
        userId: ada.id,
        username: 'ada',
        endpoint: '/v1/models',
        upstream: null,
      }),
      record({
        id: 'u5',
        startedAt: Date.parse('2026-03-02T12:00:00Z'),
        userId: ada.id,
        username: 'ada',
        model: '=cmd|calc',
        upstream: 'azure',
        status: 502,
        endReason: 'upstream_error',
      }),
    ]);
    const csv = await sluice(['usage', '--csv', '--until', '2026-03-03'], { env });
    assert.equal(csv.code, 0, csv.err);
    const lines = csv.out.split('\r\n');
    assert.equal(lines[0], USAGE_CSV_COLUMNS.join(','));
    assert.deepEqual(
      lines.slice(1, -1).map((line) => line.split(',')[0]),
      ['u5', 'u4', 'u3', 'u2', 'u1'],
    );
    // The same bytes as the admin API's export of the same records.
    assert.equal(csv.out, usageCsv(await store.listUsage({ until: Date.parse('2026-03-03') })));
    assert.match(csv.out, /^u5,ada,,127\.0\.0\.1,'=cmd\|calc,/m, 'the formula neutralised');

    const ids = async (...args: string[]) => {
      const result = await sluice(['usage', '--csv', '--until', '2026-03-03', ...args], { env });
      assert.equal(result.code, 0, result.err);
      return result.out
        .split('\r\n')
        .slice(1, -1)
        .map((line) => line.split(',')[0]);
    };
    assert.deepEqual(await ids('--user', 'bob'), ['u3', 'u2']);
    assert.deepEqual(await ids('--model', 'gpt-4o'), ['u2', 'u1']);
    assert.deepEqual(await ids('--upstream', 'azure'), ['u5']);
    assert.deepEqual(await ids('--status', '5xx'), ['u5']);
    assert.deepEqual(await ids('--status', '200', '--user', 'ada'), ['u4', 'u1']);
    assert.deepEqual(await ids('--end-reason', 'upstream_error'), ['u5']);
    assert.deepEqual(await ids('--id', 'u2'), ['u2']);
    assert.deepEqual(await ids('--key', 'sk-sluice-none'), []);
    assert.deepEqual(await ids('--limit', '2'), ['u5', 'u4']);
    assert.deepEqual(await ids('--since', '2026-03-02T11:30:00Z'), ['u5']);

    // The table counts requests, not the model list: ada has u1 and u5.
    const table = await sluice(['usage', '--by', 'user', '--until', '2026-03-03'], { env });
    assert.match(table.out, /^ada +2 /m);
    const models = await sluice(['usage', '--json', '--user', 'ada', '--until', '2026-03-03'], {
      env,
    });
    assert.deepEqual(
      (parse(models) as { id: string }[]).map((r) => r.id),
      ['u5', 'u4', 'u1'],
      'the model list is a record all the same',
    );

    for (const [args, message] of [
      [
        ['--status', 'teapot'],
        /--status takes an HTTP status such as 429, or a class such as 4xx; got "teapot"/,
      ],
      [['--end-reason', 'finished'], /--end-reason takes one of done, client_cancelled/],
      [['--model', ''], /--model takes a value/],
      [['--json', '--csv'], /--json and --csv each print the records; choose one/],
    ] as const) {
      const bad = await sluice(['usage', '--csv', ...args], { env });
      assert.equal(bad.code, 2, args.join(' '));
      assert.match(bad.err, message);
    }
    const nobody = await sluice(['usage', '--csv', '--user', 'nobody'], { env });
    assert.equal(nobody.code, 1);
    assert.match(nobody.err, /There is no user "nobody"/);
  });

  it('exits 2 naming DATABASE_URL when it is malformed, and never shows its password', async () => {
    const result = await sluice(['users', 'list'], {
      env: { ...env, DATABASE_URL: 'mysql://root:hunter2@db/x' },
    });
    assert.equal(result.code, 2);
    assert.match(result.err, /DATABASE_URL must be postgres:\/\//);
    assert.doesNotMatch(result.err, /hunter2/);
  });

  it('exits 1 naming the database when it cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    await new Promise((resolve) => server.close(resolve));
    const result = await sluice(['keys', 'list'], {
      env: { ...env, DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${address.port}/x` },
    });
    assert.equal(result.code, 1);
    assert.match(result.err, /^sluice keys list: PostgreSQL: .*ECONNREFUSED/);
    assert.match(result.err, /\(database: PostgreSQL 127\.0\.0\.1:\d+\/x\)\n$/);
    assert.doesNotMatch(result.err, /secret/);
  });

  it('explains every command and subcommand with --help, exit 0', async () => {
    const commands = [
      ['migrate'],
      ['users'],
      ...['add', 'list', 'disable', 'enable', 'passwd', 'role', 'limits'].map((s) => ['users', s]),
      ['keys'],
      ...['create', 'list', 'revoke'].map((s) => ['keys', s]),
      ['usage'],
    ];
    for (const command of commands) {
      const result = await sluice([...command, '--help']);
      assert.equal(result.code, 0, command.join(' '));
      assert.match(result.out, new RegExp(`^Usage: sluice ${command.join(' ')}( |\\n)`));
    }
    const overview = await sluice(['--help']);
    assert.match(overview.out, /users +add, list, disable users/);
    assert.equal(
      (await sluice(['users'])).code,
      2,
      'a group without a subcommand is a usage error',
    );
  });

  it('grants route scopes with --routes, shown by list (table and --json), and refuses an unknown one', async () => {
    const added = await sluice(['users', 'add', 'cleo', '--password-stdin'], {
      env,
      stdin: PASSWORD,
    });
    assert.equal(added.code, 0, added.err);
    const granted = parse(
      await sluice(['keys', 'create', '--user', 'cleo', '--routes', 'files, batches', '--json'], {
        env,
      }),
    ) as KeyJson;
    assert.deepEqual(granted.routes, ['files', 'batches']);
    const plain = parse(
      await sluice(['keys', 'create', '--user', 'cleo', '--json'], { env }),
    ) as KeyJson;
    assert.deepEqual(plain.routes, []);

    const listed = parse(
      await sluice(['keys', 'list', '--user', 'cleo', '--json'], { env }),
    ) as KeyJson[];
    assert.deepEqual(
      new Map(listed.map((k) => [k.prefix, k.routes])),
      new Map([
        [granted.prefix, ['files', 'batches']],
        [plain.prefix, []],
      ]),
    );
    const table = await sluice(['keys', 'list', '--user', 'cleo'], { env });
    const rowOf = (prefix: string) => table.out.split('\n').find((l) => l.startsWith(prefix));
    assert.match(rowOf(granted.prefix) ?? '', / files,batches /, table.out);
    assert.doesNotMatch(rowOf(plain.prefix) ?? '', /files/, table.out);
    const block = await sluice(['keys', 'create', '--user', 'cleo', '--routes', 'files'], { env });
    assert.equal(block.code, 0, block.err);
    assert.match(block.out, /routes +inference, files\n/);

    const unknown = await sluice(
      ['keys', 'create', '--user', 'cleo', '--routes', 'files,everything'],
      { env },
    );
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /--routes takes route scopes/);
    assert.match(unknown.err, /got "files,everything"/);
    assert.equal(unknown.out, '');

    // Through a running Sluice on the same data dir: the grant opens /v1/files, a plain key of
    // the same user gets 403 route_not_allowed and nothing is forwarded.
    const upstream = await startFakeUpstream(
      jsonReply(200, { object: 'list', data: [], has_more: false }),
    );
    const running = await sluiceFor(upstream.origin, {
      SLUICE_DATA_DIR: env.SLUICE_DATA_DIR ?? '',
    });
    try {
      const files = (key: string | undefined) =>
        fetch(`${running.baseURL}/files`, { headers: { authorization: `Bearer ${key ?? ''}` } });
      const allowed = await files(granted.key);
      assert.equal(allowed.status, 200, await allowed.clone().text());
      assert.deepEqual(await allowed.json(), { object: 'list', data: [], has_more: false });
      assert.equal(upstream.calls.length, 1);
      assert.equal(upstream.calls[0]?.path, '/v1/files');

      const refused = await files(plain.key);
      assert.equal(refused.status, 403);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'route_not_allowed');
      assert.match(body.error.message, /--routes files/);
      assert.equal(upstream.calls.length, 1, 'the refused request was not forwarded');
    } finally {
      await running.stop();
      await upstream.stop();
    }
  });

  it('adds a SEARCHES column to the usage table when the selection paid for web searches', async () => {
    const ada = await store.findUserByName('ada');
    assert.ok(ada !== undefined);
    await store.writeUsage([
      record({
        id: 'u-search',
        startedAt: Date.parse('2027-01-05T10:00:00Z'),
        userId: ada.id,
        username: 'ada',
        model: 'gpt-5-mini',
        promptTokens: 10,
        completionTokens: 5,
        searches: 3,
        cost: 0.03,
      }),
    ]);
    const table = await sluice(['usage', '--by', 'model', '--since', '2027-01-05'], { env });
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^MODEL +REQUESTS +PROMPT +COMPLETION +SEARCHES +COST/);
    assert.match(table.out, /^gpt-5-mini +1 +10 +5 +3 +\$0\.0300/m);
    const quiet = await sluice(['usage', '--by', 'model', '--until', '2026-03-03'], { env });
    assert.doesNotMatch(quiet.out, /SEARCHES/, 'no column where nothing searched');
  });
});

describe('the sluice binary', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-bin-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs bin/sluice.js on this Node, `input` piped to its stdin. */
  function run(args: readonly string[], input: string): Promise<Result> {
    const bin = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', SLUICE_DATA_DIR: join(dir, 'data') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
    child.stdin.end(input);
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        resolve({ code: code ?? -1, out, err });
      });
    });
  }

  it('adds a user with the password piped on stdin, then creates a key (--json)', async () => {
    const added = await run(['users', 'add', 'eve', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /Added user "eve" \(admin/);
    const created = await run(['keys', 'create', '--user', 'eve', '--json'], '');
    const key = parse(created) as KeyJson;
    assert.equal(key.user, 'eve');
    assert.match(key.key ?? '', /^sk-sluice-/);

    const store = await openStore({ dataDir: join(dir, 'data') });
    try {
      assert.equal(await authenticate(store, key.key ?? ''), 'ok eve');
    } finally {
      await store.close();
    }
  });
});
