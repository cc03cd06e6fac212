import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors/index.ts';
import { DEFAULTS, loadConfig } from './index.ts';
import { SLUICE_VARIABLES } from './environment.ts';

const load = (
  env: Record<string, string>,
  extra: Parameters<typeof loadConfig>[0] extends infer S ? Partial<S & object> : never = {},
) => loadConfig({ env, ...extra });

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs on embedded defaults with no environment at all', () => {
    const config = load({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.keepaliveMs, 15_000);
    assert.deepEqual(config.upstreams, [], 'no upstream: the demo model answers');
    assert.deepEqual(config.timeouts, {
      connectMs: DEFAULTS.connectMs,
      firstByteMs: DEFAULTS.firstByteMs,
      idleMs: DEFAULTS.idleMs,
      totalMs: DEFAULTS.totalMs,
    });
  });

  it('BASE_URL is an origin with /v1 assumed; with a path it is used as given', () => {
    const origin = load({ BASE_URL: 'https://relay.example.com', OPENAI_API_KEY: 'sk-x' })
      .upstreams[0];
    assert.equal(origin?.baseUrl.href, 'https://relay.example.com/v1');
    assert.deepEqual(origin.apiKeys, ['sk-x']);
    const withPath = load({ BASE_URL: 'https://relay.example.com/openai/v1/' }).upstreams[0];
    assert.equal(withPath?.baseUrl.href, 'https://relay.example.com/openai/v1');
  });

  it('OPENAI_BASE_URL follows the SDK convention and wins over BASE_URL', () => {
    const u = load({ OPENAI_BASE_URL: 'http://localhost:11434', BASE_URL: 'https://ignored' })
      .upstreams[0];
    assert.equal(
      u?.baseUrl.href,
      'http://localhost:11434/',
      'used as given: /models, not //models',
    );
  });

  it('SLUICE_RESPONSES=false: the environment’s upstream has no Responses API', () => {
    const env = { BASE_URL: 'https://api.deepseek.com', OPENAI_API_KEY: 'sk-ds' };
    assert.equal(load(env).upstreams[0]?.responses, true, 'the Responses API by default');
    assert.equal(load({ ...env, SLUICE_RESPONSES: 'false' }).upstreams[0]?.responses, false);
    assert.equal(load({ ...env, SLUICE_RESPONSES: 'FALSE' }).upstreams[0]?.responses, false);
    assert.equal(load({ ...env, SLUICE_RESPONSES: 'true' }).upstreams[0]?.responses, true);
    for (const bad of ['0', 'no', 'off ', 'falsey'])
      assert.match(
        problemsOf(() => load({ ...env, SLUICE_RESPONSES: bad })).join('\n'),
        /SLUICE_RESPONSES must be true or false/,
        bad,
      );
  });

  it('end users are told to OpenAI and Anthropic themselves by default, to other hosts when said', () => {
    const official = load({ OPENAI_API_KEY: 'sk', ANTHROPIC_API_KEY: 'sk-ant' }).upstreams;
    assert.deepEqual(
      official.map((u) => u.endUsers),
      [true, true],
    );
    assert.equal(load({ BASE_URL: 'https://relay.example.com/v1' }).upstreams[0]?.endUsers, false);
    const file = (entry: object) =>
      load(
        { SLUICE_CONFIG: 'c.json' },
        { readFile: () => JSON.stringify({ upstreams: [{ name: 'u', ...entry }] }) },
      ).upstreams[0]?.endUsers;
    const google = 'https://generativelanguage.googleapis.com/v1beta/openai';
    assert.equal(file({ baseUrl: google }), false);
    assert.equal(file({ baseUrl: 'https://api.openai.com/v1' }), true);
    assert.equal(file({ baseUrl: 'https://api.openai.com/v1', endUsers: false }), false);
    assert.equal(file({ baseUrl: 'http://10.0.0.7:8000/v1', endUsers: true }), true);
  });

  it('an OpenAI key alone means api.openai.com; an Anthropic key adds an Anthropic upstream', () => {
    const config = load({ OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a' });
    assert.deepEqual(
      config.upstreams.map((u) => [u.name, u.family, u.baseUrl.href]),
      [
        ['openai', 'openai', 'https://api.openai.com/v1'],
        ['anthropic', 'anthropic', 'https://api.anthropic.com/v1'],
      ],
    );
  });

  it('flags win over the environment, the environment over the file', () => {
    const file = JSON.stringify({ port: 9000, host: '0.0.0.0', keepalive: '5s' });
    const config = load(
      { PORT: '9100', SLUICE_CONFIG: '/etc/sluice.json' },
      {
        flags: { port: '9200' },
        readFile: () => file,
      },
    );
    assert.equal(config.port, 9200);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.keepaliveMs, 5000);
  });

  it('reads upstreams from the file, keys from named variables', () => {
    const file = JSON.stringify({
      upstreams: [
        {
          name: 'primary',
          baseUrl: 'https://a.example',
          apiKeyEnv: 'PRIMARY_KEY',
          models: ['gpt-*'],
        },
        {
          name: 'backup',
          baseUrl: 'https://b.example/v1',
          apiKey: 'sk-b',
          headers: { 'OpenAI-Project': 'p' },
        },
      ],
    });
    const config = load({ PRIMARY_KEY: 'sk-a', SLUICE_CONFIG: 'x.json' }, { readFile: () => file });
    assert.deepEqual(
      config.upstreams.map((u) => [u.name, u.baseUrl.href, u.apiKeys[0], u.models, u.headers]),
      [
        ['primary', 'https://a.example/v1', 'sk-a', ['gpt-*'], {}],
        ['backup', 'https://b.example/v1', 'sk-b', undefined, { 'OpenAI-Project': 'p' }],
      ],
    );
  });

  it('adds environment upstreams only for API families the file does not cover', () => {
    const file = JSON.stringify({
      upstreams: [{ name: 'openai', baseUrl: 'https://a.example', apiKeyEnv: 'OPENAI_API_KEY' }],
    });
    const config = load(
      { OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a', SLUICE_CONFIG: 'c.json' },
      { readFile: () => file },
    );
    assert.deepEqual(
      config.upstreams.map((u) => [u.name, u.baseUrl.href, u.apiKeys[0]]),
      [
        ['openai', 'https://a.example/v1', 'sk-o'],
        ['anthropic', 'https://api.anthropic.com/v1', 'sk-a'],
      ],
    );
  });

  it('SLUICE_RESPONSES with a file that lists its own OpenAI upstreams is a problem, not ignored', () => {
    const file = JSON.stringify({
      upstreams: [{ name: 'ds', baseUrl: 'https://api.deepseek.com', apiKeyEnv: 'OPENAI_API_KEY' }],
    });
    const env = { OPENAI_API_KEY: 'sk-o', SLUICE_CONFIG: 'c.json' };
    assert.match(
      problemsOf(() => load({ ...env, SLUICE_RESPONSES: 'false' }, { readFile: () => file })).join(
        '\n',
      ),
      /SLUICE_RESPONSES is for the upstream of OPENAI_API_KEY\/BASE_URL.*"responses": false/,
    );
    assert.equal(load(env, { readFile: () => file }).upstreams[0]?.responses, true);
  });

  it('parses human durations and sizes', () => {
    const config = load({
      SLUICE_KEEPALIVE: '500ms',
      SLUICE_IDLE_TIMEOUT: '2m',
      SLUICE_TOTAL_TIMEOUT: '1.5h',
      SLUICE_MAX_BODY: '512kb',
    });
    assert.equal(config.keepaliveMs, 500);
    assert.equal(config.timeouts.idleMs, 120_000);
    assert.equal(config.timeouts.totalMs, 5_400_000);
    assert.equal(config.maxBodyBytes, 512 * 1024);
  });

  it('bounds request bodies in time and in memory by default', () => {
    const config = load({});
    assert.equal(config.bodyTimeoutMs, 60_000);
    assert.equal(config.maxBodyInflightBytes, 256 * 1024 ** 2);
  });

  it('reads the body timeout and the memory of bodies in flight from the environment or the file', () => {
    const fromEnv = load({ SLUICE_BODY_TIMEOUT: '2s', SLUICE_MAX_BODY_INFLIGHT: '1gb' });
    assert.equal(fromEnv.bodyTimeoutMs, 2000);
    assert.equal(fromEnv.maxBodyInflightBytes, 1024 ** 3);
    const file = JSON.stringify({ bodyTimeout: '750ms', maxBodyInflight: '64mb' });
    const fromFile = load({ SLUICE_CONFIG: 'c.json' }, { readFile: () => file });
    assert.equal(fromFile.bodyTimeoutMs, 750);
    assert.equal(fromFile.maxBodyInflightBytes, 64 * 1024 ** 2);
  });

  it('reads the number of worker processes: one by default, auto one per core', () => {
    assert.equal(load({}).workers, 1);
    assert.equal(load({ SLUICE_WORKERS: '3' }).workers, 3);
    assert.equal(load({ SLUICE_WORKERS: 'auto' }, { cores: 6 }).workers, 6);
    assert.equal(load({ SLUICE_WORKERS: '3' }, { flags: { workers: '2' } }).workers, 2);
    const file = { config: '/etc/sluice.json' };
    const readFile = () => JSON.stringify({ workers: 'auto' });
    assert.equal(load({}, { flags: file, readFile, cores: 4 }).workers, 4);
  });

  it('CORS origins: any by default, none, or origins as a browser sends them', () => {
    assert.equal(load({}).corsOrigins, '*');
    assert.deepEqual(load({ SLUICE_CORS_ORIGINS: 'none' }).corsOrigins, []);
    assert.deepEqual(
      load({ SLUICE_CORS_ORIGINS: 'https://Chat.Example.com:443, http://localhost:3000/' })
        .corsOrigins,
      ['https://chat.example.com', 'http://localhost:3000'],
    );
    const readFile = () => JSON.stringify({ corsOrigins: ['https://a.example'] });
    assert.deepEqual(load({}, { flags: { config: '/etc/s.json' }, readFile }).corsOrigins, [
      'https://a.example',
    ]);
    for (const bad of [
      'https://a.example/path',
      'a.example',
      'ftp://a.example',
      'https://u:p@a.example',
      'https://a.example?x',
    ])
      assert.match(
        problemsOf(() => load({ SLUICE_CORS_ORIGINS: bad })).join('\n'),
        /^SLUICE_CORS_ORIGINS takes "\*", "none" or origins/,
        bad,
      );
  });

  it('reads prices from the file, per image too; refuses one it cannot use, naming it', () => {
    const config = (prices: unknown) => () =>
      load({}, { flags: { config: '/etc/s.json' }, readFile: () => JSON.stringify({ prices }) });
    const table = config({
      'my-painter': { input: 0, output: 0, perImage: 0.05 },
      'my-dall-e': { input: 0, output: 0, perImage: { '1024x1024': 0.03, 'hd 1024x1024': 0.06 } },
    })().prices;
    assert.deepEqual(table['my-painter'], { input: 0, output: 0, perImage: 0.05 });
    assert.deepEqual(table['my-dall-e']?.perImage, { '1024x1024': 0.03, 'hd 1024x1024': 0.06 });
    assert.ok(table['dall-e-3'] !== undefined, 'the defaults stay');
    for (const perImage of [-1, {}, { '1024x1024': -0.01 }, [0.04], 'cheap'])
      assert.match(
        problemsOf(config({ bad: { input: 0, output: 0, perImage } })).join('\n'),
        /prices(\["bad"\]|\.bad)/,
        JSON.stringify(perImage),
      );
  });

  it('reads a price per web search; refuses one it cannot use', () => {
    const config = (prices: unknown) => () =>
      load({}, { flags: { config: '/etc/s.json' }, readFile: () => JSON.stringify({ prices }) });
    const table = config({ 'my-searcher': { input: 1, output: 2, searches: 0.005 } })().prices;
    assert.equal(table['my-searcher']?.searches, 0.005);
    for (const searches of [-0.01, '0.01', null])
      assert.match(
        problemsOf(config({ bad: { input: 0, output: 0, searches } })).join('\n'),
        /prices(\["bad"\]|\.bad)/,
        JSON.stringify(searches),
      );
  });

  it('reads a price’s priority and long-context rates; refuses ones it cannot use', () => {
    const config = (prices: unknown) => () =>
      load({}, { flags: { config: '/etc/s.json' }, readFile: () => JSON.stringify({ prices }) });
    const priority = { input: 3.5, output: 14, cachedInput: 0.875 };
    const longContext = { above: 200_000, input: 4, output: 16 };
    const table = config({ 'my-gpt': { input: 2, output: 8, priority, longContext } })().prices;
    assert.deepEqual(table['my-gpt'], { input: 2, output: 8, priority, longContext });
    for (const bad of [{ input: 1 }, { input: -1, output: 1 }, 2, [1, 2], { ...priority, x: 1 }])
      assert.match(
        problemsOf(config({ bad: { input: 0, output: 0, priority: bad } })).join('\n'),
        /prices(\["bad"\]|\.bad)/,
        JSON.stringify(bad),
      );
    for (const above of [undefined, 0, 1.5, -1, '200000'])
      assert.match(
        problemsOf(
          config({ bad: { input: 0, output: 0, longContext: { ...longContext, above } } }),
        ).join('\n'),
        /prices(\["bad"\]|\.bad)/,
        String(above),
      );
  });

  it('refuses a worker count that is not a whole number from 1, naming SLUICE_WORKERS', () => {
    for (const bad of ['0', 'abc', '1.5', '-2', '257', '1e2', '0x2', ' 2', '+2']) {
      assert.match(
        problemsOf(() => load({ SLUICE_WORKERS: bad })).join('\n'),
        /^SLUICE_WORKERS must be a whole number of worker processes from 1 to 256, or "auto"/,
      );
    }
    assert.match(
      problemsOf(() => load({}, { flags: { workers: '0' } })).join('\n'),
      /^--workers \(SLUICE_WORKERS\) must be/,
    );
  });

  it('refuses a body timeout that is not a positive duration, naming the variable', () => {
    assert.match(
      problemsOf(() => load({ SLUICE_BODY_TIMEOUT: 'soon' })).join('\n'),
      /SLUICE_BODY_TIMEOUT must be a duration such as 15s/,
    );
    assert.match(
      problemsOf(() => load({ SLUICE_BODY_TIMEOUT: '0s' })).join('\n'),
      /SLUICE_BODY_TIMEOUT must be greater than 0/,
    );
  });

  it('refuses a duration longer than a timer can wait (~24.8 days), which ran after 1 ms', () => {
    for (const [name, value] of [
      ['SLUICE_IDLE_TIMEOUT', '9999h'],
      ['SLUICE_DRAIN_TIMEOUT', '2147483648'],
      ['SLUICE_KEEPALIVE', '596524h'],
    ] as const)
      assert.match(
        problemsOf(() => load({ [name]: value })).join('\n'),
        new RegExp(`${name} must be a duration such as 15s`),
        `${name}=${value}`,
      );
    assert.equal(load({ SLUICE_IDLE_TIMEOUT: '596h' }).timeouts.idleMs, 596 * 3_600_000);
  });

  it('refuses a budget of bodies in flight that is not a size, or smaller than one body', () => {
    assert.match(
      problemsOf(() => load({ SLUICE_MAX_BODY_INFLIGHT: 'lots' })).join('\n'),
      /SLUICE_MAX_BODY_INFLIGHT must be a size such as 32mb/,
    );
    assert.match(
      problemsOf(() => load({ SLUICE_MAX_BODY: '64mb', SLUICE_MAX_BODY_INFLIGHT: '32mb' })).join(
        '\n',
      ),
      /SLUICE_MAX_BODY_INFLIGHT \(33554432 bytes\) must be at least SLUICE_MAX_BODY \(67108864 bytes\)/,
    );
  });

  it('honours proxy variables, lower case first, as curl does', () => {
    const config = load({
      HTTPS_PROXY: 'http://upper:3128',
      https_proxy: 'http://lower:3128',
      ALL_PROXY: 'socks5://127.0.0.1:1080',
      NO_PROXY: 'localhost,.internal',
    });
    assert.deepEqual(config.egress, {
      httpProxy: undefined,
      httpsProxy: 'http://lower:3128',
      allProxy: 'socks5://127.0.0.1:1080',
      noProxy: 'localhost,.internal',
    });
  });

  it('reports every problem at once, naming the variable and the expected form', () => {
    const problems = problemsOf(() =>
      load({
        PORT: 'eighty',
        BASE_URL: 'ftp://relay',
        SLUICE_KEEPALIVE: 'soon',
        HTTPS_PROXY: 'socks4://x:1',
        SLUICE_LOG_LEVEL: 'loud',
      }),
    );
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems.join('\n'), /PORT must be a TCP port/);
    assert.match(problems.join('\n'), /BASE_URL must use http:\/\/ or https:\/\//);
    assert.match(problems.join('\n'), /SLUICE_KEEPALIVE must be a duration such as 15s/);
    assert.match(problems.join('\n'), /HTTPS_PROXY must use one of http:\/\/, https:\/\//);
    assert.match(problems.join('\n'), /SLUICE_LOG_LEVEL must be one of debug, info/);
  });

  it('explains a config file that is missing or not JSON', () => {
    assert.match(
      problemsOf(() =>
        load(
          { SLUICE_CONFIG: '/nope.json' },
          {
            readFile: () => {
              throw new Error('ENOENT');
            },
          },
        ),
      )[0] ?? '',
      /\/nope\.json, which cannot be read/,
    );
    assert.match(
      problemsOf(() => load({ SLUICE_CONFIG: 'c.json' }, { readFile: () => '{port: 1}' }))[0] ?? '',
      /c\.json is not valid JSON/,
    );
  });

  it('refuses an upstream key variable that is not set, and duplicate upstream names', () => {
    const file = JSON.stringify({
      upstreams: [
        { name: 'a', baseUrl: 'https://a.example', apiKeyEnv: 'MISSING_KEY' },
        { name: 'a', baseUrl: 'https://b.example' },
      ],
    });
    const problems = problemsOf(() => load({ SLUICE_CONFIG: 'c.json' }, { readFile: () => file }));
    assert.match(problems.join('\n'), /MISSING_KEY, which is not set/);
    assert.match(problems.join('\n'), /Two upstreams are named "a"/);
  });

  it('refuses default limits that are not whole counts a store keeps exactly', () => {
    const problems = problemsOf(() =>
      load(
        { SLUICE_CONFIG: 'c.json' },
        {
          readFile: () =>
            JSON.stringify({
              defaultLimits: { key: { rpm: 1.5, tpm: 1e20 }, user: { maxStreams: 0 } },
            }),
        },
      ),
    );
    const text = problems.join('\n');
    assert.match(text, /rpm.*expected int/i);
    assert.match(text, /tpm.*(too big|<=9007199254740991)/i);
    assert.match(text, /maxStreams.*(too small|>0)/i);
    const cost = load(
      { SLUICE_CONFIG: 'c.json' },
      { readFile: () => JSON.stringify({ defaultLimits: { key: { budgetCost: 0.5 } } }) },
    );
    assert.equal(cost.defaultLimits.key.budgetCost, 0.5, 'a cost is any amount above 0');
  });

  it('refuses a key it does not know, naming it and the nearest it does', () => {
    const problems = problemsOf(() =>
      load(
        { SLUICE_CONFIG: 'sluice.json' },
        {
          readFile: () =>
            JSON.stringify({
              upstreamz: [],
              timeouts: { firstbyte: '1m' },
              upstreams: [{ baseUrl: 'https://a.example', apiKeys: ['k'], wieght: 2 }],
            }),
        },
      ),
    );
    assert.ok(
      problems.some((p) =>
        /sluice\.json: unknown key "upstreamz"; did you mean "upstreams"\?/.test(p),
      ),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) =>
        /timeouts in sluice\.json: unknown key "firstbyte"; did you mean "firstByte"\?/.test(p),
      ),
    );
    assert.ok(
      problems.some((p) =>
        /upstreams\[0\] in sluice\.json: unknown key "wieght"; did you mean "weight"\?/.test(p),
      ),
    );
    const typed = problemsOf(() =>
      load({ SLUICE_CONFIG: 'c.json' }, { readFile: () => JSON.stringify({ upstreams: {} }) }),
    );
    assert.match(typed.join('\n'), /upstreams in c\.json: expected array/);
  });

  it('refuses a SLUICE_* variable it does not know, naming the nearest; leaves others alone', () => {
    const problems = problemsOf(() =>
      load({ SLUICE_WORKER: '4', SLUICE_MAXBODY: '1mb', SLUICE_NONSENSE_THING: '1', HOME: '/x' }),
    );
    assert.match(
      problems.join('\n'),
      /unknown environment variable SLUICE_WORKER; did you mean SLUICE_WORKERS\?/,
    );
    assert.match(problems.join('\n'), /SLUICE_MAXBODY; did you mean SLUICE_MAX_BODY\?/);
    assert.match(
      problems.join('\n'),
      /unknown environment variable SLUICE_NONSENSE_THING Sluice reads/,
    );
    assert.equal(problems.length, 3, "HOME is not Sluice's");
    // Every variable the README documents is known.
    assert.doesNotThrow(() => load({ SLUICE_WORKERS: '1', SLUICE_MAX_BODY: '1mb', PORT: '0' }));
  });

  it('knows every SLUICE_* variable the README and DESIGN.md name, and reads each one it knows', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = async (path: string) => readFile(new URL(path, import.meta.url), 'utf8');
    const named = (doc: string) => new Set(doc.match(/SLUICE_[A-Z0-9_]*[A-Z0-9]/g));
    // Less the README's example of a misspelt one.
    const readme = (await text('../../README.md')).replace(/variable SLUICE_WORKER;/g, '');
    for (const name of named(readme))
      assert.ok(SLUICE_VARIABLES.includes(name), `${name} is in the README but not known`);
    const source = await Promise.all(
      ['load.ts', 'telemetry.ts', 'upstreams.ts', 'values.ts'].map((f) => text(f)),
    );
    const read = named(source.join('\n'));
    for (const name of SLUICE_VARIABLES.filter((n) => !/HTTP_PORT|RECORD_DOCTOR/.test(n)))
      assert.ok(read.has(name), `${name} is known but src/config does not read it`);
  });

  it('reads key pools, priority, weight, proxy, aliases and Azure settings', () => {
    const file = JSON.stringify({
      upstreams: [
        {
          name: 'pool',
          baseUrl: 'https://a.example',
          apiKeys: ['k1'],
          apiKeyEnvs: ['KEY_TWO'],
          priority: 2,
          weight: 5,
          proxy: 'socks5://127.0.0.1:1080',
          aliases: { fast: 'gpt-4.1-mini' },
        },
        { name: 'local', baseUrl: 'http://127.0.0.1:11434/v1', proxy: 'none' },
        {
          name: 'az',
          family: 'azure',
          baseUrl: 'https://res.openai.azure.com',
          apiKey: 'k',
          apiVersion: '2024-10-21',
          deployments: { 'gpt-4o': 'prod' },
        },
      ],
    });
    const [pool, local, az] = load(
      { KEY_TWO: 'k2', SLUICE_CONFIG: 'c.json' },
      { readFile: () => file },
    ).upstreams;
    assert.ok(pool && local && az);
    assert.deepEqual(pool.apiKeys, ['k1', 'k2']);
    assert.deepEqual([pool.priority, pool.weight, pool.proxy], [2, 5, 'socks5://127.0.0.1:1080']);
    assert.deepEqual(pool.aliases, { fast: 'gpt-4.1-mini' });
    assert.deepEqual(
      [local.priority, local.proxy, local.apiKeys],
      [1, 'none', []],
      'priority: its place',
    );
    assert.deepEqual(az.azure, {
      apiVersion: '2024-10-21',
      deployments: { 'gpt-4o': 'prod' },
      entra: undefined,
    });
    assert.deepEqual(az.models, ['gpt-4o'], 'an Azure resource serves its deployments');
    assert.equal(az.family, 'openai');
    const bad = problemsOf(() =>
      load(
        { SLUICE_CONFIG: 'c.json' },
        {
          readFile: () =>
            JSON.stringify({
              upstreams: [
                { baseUrl: 'https://a.example', proxy: 'ftp://x' },
                { baseUrl: 'https://b.example', family: 'azure' },
              ],
            }),
        },
      ),
    );
    assert.match(bad.join('\n'), /upstreams\[0\]\.proxy must be "none" or a proxy URL/);
    assert.match(
      bad.join('\n'),
      /upstreams\[1\] is an Azure OpenAI upstream: it needs "apiVersion"/,
    );
  });
});
