/**
 * compose.yaml, run (issue #14). First as Docker Compose users get it: valid against the Compose
 * Specification's schema (the one Docker Compose validates with, test/fixtures/compose-spec),
 * and read without what Debian's podman-compose 1.0.3 gets wrong (an empty default `${VAR:-}`
 * passed on literally; exec-form health checks mangled). Then brought up here by podman from
 * the file's own settings (support/container/compose-*.ts: `podman run` per replica, depends_on
 * and health checks honoured), on local images — Sluice from the Dockerfile, nginx, PostgreSQL
 * and Redis from Debian's packages — and checked from outside: `sluice doctor` through its nginx,
 * a stream through nginx event by event, /metrics not published, and the two Sluice replicas
 * sharing one PostgreSQL and one Redis.
 *
 * The containers share the host's network, each on a loopback address of its own, compose's
 * service names resolving to those addresses; what that changes for each service (it listens on
 * its address; its health check asks it there) is in support/container/compose-host-network.ts.
 * A missing podman, runc or mmdebstrap fails the test; it is never skipped.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse, stringify } from 'yaml';
import { pacedByClient } from './support/causality.ts';
import { chatStream } from './support/chat-fixtures.ts';
import {
  interpolateDocument,
  loadCompose,
  type ComposeProject,
} from './support/container/compose-file.ts';
import { buildComposeImages } from './support/container/compose-images.ts';
import { hostNetwork } from './support/container/compose-host-network.ts';
import { interpolate } from './support/container/compose-interpolate.ts';
import { healthFlags, type Stack, upStack } from './support/container/compose-stack.ts';
import { openPodman, type Podman } from './support/container/podman.ts';
import { type FakeUpstream, startFakeUpstream } from './support/fake-upstream.ts';
import { probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { freePort } from './support/ports.ts';
import { makeScratchDir, type ScratchDir } from './support/scratch-dir.ts';
import { ADMIN_KEY } from './support/sluice.ts';
import { postStream } from './support/sse-client.ts';

const COMPOSE = fileURLToPath(new URL('../compose.yaml', import.meta.url));
const SCHEMA = new URL('fixtures/compose-spec/compose-spec.json', import.meta.url);
const RUN = `${String(process.pid)}-${randomBytes(3).toString('hex')}`;
/** The Compose project: containers sluice-test-RUN-SERVICE-N, volumes sluice-test-RUN_NAME. */
const PROJECT = `sluice-test-${RUN}`;
/** This run's corner of loopback (127.X.Y.N), apart from the machine's 127.0.0.1. */
const LOOPBACK = `127.${String(randomInt(100, 255))}.${String(randomInt(0, 256))}`;
/**
 * A first run builds the Debian base (3–4 minutes on a busy machine), Sluice's image (npm ci
 * twice) and the three stand-ins (apt-get); later runs find them cached. Generous, still a bound.
 */
const BUILD_TIMEOUT_MS = 30 * 60_000;
/** Start-up: PostgreSQL's first initdb, two Sluice replicas migrating, on two busy cores. */
const UP_TIMEOUT_MS = 10 * 60_000;

const rawCompose = (): unknown => parse(readFileSync(COMPOSE, 'utf8'));

describe('compose.yaml, as Docker Compose reads it', () => {
  it('is valid against the Compose Specification schema, before and after interpolation', () => {
    const ajv = new Ajv2020({ allErrors: true, strictTypes: false });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
    const interpolated = interpolateDocument(rawCompose(), {}).document;
    for (const document of [rawCompose(), interpolated])
      assert.ok(validate(document), ajv.errorsText(validate.errors));
    // The check bites: a misspelt key is refused, as `docker compose config` refuses it.
    const misspelt = structuredClone(interpolated) as {
      services: { redis: Record<string, unknown> };
    };
    misspelt.services.redis.healtcheck = {};
    assert.equal(validate(misspelt), false);
  });

  it('interpolates as Compose does: an empty default is empty, never the template', () => {
    const vars = { SET: 'v', EMPTY: '' };
    const cases: [string, string][] = [
      ['${UNSET:-}', ''],
      ['${EMPTY:-}', ''],
      ['${UNSET:-d}', 'd'],
      ['${EMPTY:-d}', 'd'],
      ['${EMPTY-d}', ''],
      ['${UNSET-d}', 'd'],
      ['${SET:-d}', 'v'],
      ['${SET:+alt}', 'alt'],
      ['${EMPTY:+alt}', ''],
      ['${EMPTY+alt}', 'alt'],
      ['${UNSET:-${SET}}/${UNSET:-${UNSET2:-deep}}', 'v/deep'],
      ['$SET-$$SET-$', 'v-$SET-$'],
      [
        'postgres://sluice:${UNSET:-sluice}@postgres:5432/sluice',
        'postgres://sluice:sluice@postgres:5432/sluice',
      ],
    ];
    for (const [template, expected] of cases)
      assert.equal(interpolate(template, vars).value, expected, template);
    assert.deepEqual(interpolate('${UNSET}$UNSET2', vars).unset, ['UNSET', 'UNSET2']);
    assert.throws(() => interpolate('${UNSET:?set it}', vars), /UNSET is missing a value: set it/);
    assert.throws(() => interpolate('${EMPTY:?}', vars), /EMPTY/);
    assert.equal(interpolate('${EMPTY?}', vars).value, '');
    assert.throws(() => interpolate('${SET', vars), /invalid template/);
  });

  it('gives podman each health check in its form: exec form as a JSON array, no shell', () => {
    const project = loadCompose(COMPOSE, {});
    const sluice = service(project, 'sluice');
    assert.equal(sluice.environment.BASE_URL, '', '${BASE_URL:-} is empty, not literal');
    assert.equal(sluice.environment.SLUICE_ADMIN_KEY, '');
    assert.equal(sluice.environment.NO_PROXY, 'postgres,redis,localhost,127.0.0.1');
    assert.ok(!JSON.stringify(project).includes('${'), 'nothing left uninterpolated');
    assert.equal(sluice.replicas, 2);

    const check = sluice.healthcheck;
    assert.equal(check?.test.form, 'CMD');
    const flags = healthFlags(check);
    // podman reads a JSON array as exec form; starting it with "CMD" would make podman split the
    // JSON text on spaces (podman-compose's mangling).
    const command = flags[flags.indexOf('--health-cmd') + 1] ?? '';
    assert.deepEqual(JSON.parse(command), check.test.args);
    assert.notEqual(check.test.args[0], 'CMD');
    // PostgreSQL's is asked over TCP: on a new volume the image's entrypoint first runs a
    // temporary server on the socket alone, which a socket check would call ready.
    const postgres = service(project, 'postgres').healthcheck;
    assert.equal(postgres?.test.form, 'CMD-SHELL');
    assert.match(postgres.test.command, /^pg_isready -h 127\.0\.0\.1 /);
    const nginx = service(project, 'nginx').healthcheck;
    assert.equal(nginx?.test.form, 'CMD-SHELL');
    assert.equal(healthFlags(nginx)[1], 'wget -q -O /dev/null http://127.0.0.1/healthz || exit 1');
  });

  it('uses only settings the test can run: anything else is refused by name', async () => {
    const project = loadCompose(COMPOSE, {});
    assert.deepEqual(
      project.services.map((s) => s.name),
      ['sluice', 'nginx', 'postgres', 'redis'],
    );
    // Every variable has a default: `docker compose up` warns about none of them.
    assert.deepEqual(project.unset, []);
    const scratch = await makeScratchDir('compose-variant');
    try {
      const variant = scratch.file('compose.yaml');
      const withNetwork = structuredClone(rawCompose()) as { services: { redis: object } };
      withNetwork.services.redis = { ...withNetwork.services.redis, networks: ['back'] };
      await writeFile(variant, stringify(withNetwork));
      assert.throws(
        () => loadCompose(variant, {}),
        /services\.redis\.networks.*does not implement/,
      );
    } finally {
      await scratch.remove();
    }
  });
});

let podman: Podman;
let upstream: FakeUpstream;
let dir: ScratchDir;
let project: ComposeProject;
let images: Readonly<Record<string, string>>;
let stack: Stack | undefined;
/** nginx where compose.yaml publishes it: http://127.0.0.1:$SLUICE_HTTP_PORT */
let front: string;

function running(): Stack {
  assert.ok(stack, 'the stack is up (an earlier test brought it up)');
  return stack;
}

/** Replica N's own address: reachable from the host, as from its siblings. */
function replica(index: number): string {
  return `http://${running().instance('sluice', index).address}:8080`;
}

async function call(url: string, method: string, path: string, body?: unknown, key = ADMIN_KEY) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
  return {
    status: response.status,
    headers: response.headers,
    body: (json ? JSON.parse(text) : { text }) as Record<string, unknown>,
  };
}

/** A streamed chat completion (the fake upstream's recorded stream), read to its end. */
function chat(url: string, key: string) {
  const body = { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }], stream: true };
  return call(url, 'POST', '/v1/chat/completions', body, key);
}

describe('the compose stack, run by podman', () => {
  before(async () => {
    podman = await openPodman();
    upstream = await startFakeUpstream(chatStream('openai-chat/openai-text.chunks.txt'));
    dir = await makeScratchDir('compose');
    const httpPort = await freePort();
    front = `http://127.0.0.1:${String(httpPort)}`;
    // The environment `docker compose up` would read: the rest of compose.yaml's variables unset.
    project = loadCompose(COMPOSE, {
      SLUICE_ADMIN_KEY: ADMIN_KEY,
      OPENAI_API_KEY: 'sk-upstream',
      BASE_URL: upstream.origin,
      POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
      SLUICE_HTTP_PORT: String(httpPort),
    });
  });
  after(async () => {
    try {
      await stack?.down();
    } finally {
      await Promise.all([podman.close(), upstream.stop(), dir.remove()]);
    }
  });

  it(
    'builds Sluice from its Dockerfile and nginx, PostgreSQL and Redis from Debian packages',
    { timeout: BUILD_TIMEOUT_MS },
    async (t) => {
      const built = await buildComposeImages(podman, project, BUILD_TIMEOUT_MS - 60_000);
      for (const line of built.report) t.diagnostic(line);
      images = built.images;
      assert.deepEqual(Object.keys(images).sort(), ['nginx', 'postgres', 'redis', 'sluice']);
    },
  );

  it(
    'comes up in depends_on order, every replica healthy by its own check',
    { timeout: UP_TIMEOUT_MS },
    async () => {
      assert.ok(images, 'the images were built');
      stack = await upStack({
        podman,
        project,
        name: PROJECT,
        images,
        loopback: LOOPBACK,
        adjust: hostNetwork(dir),
      });
      const state = (name: string) => running().inspect(name);
      const named = (service: string, index = 1) => running().instance(service, index).name;
      const passed = async (name: string) => {
        const log = (await state(name)).State.Health?.Log ?? [];
        const first = log.find((entry) => entry.ExitCode === 0);
        assert.ok(first, `${name} passed its health check`);
        return Date.parse(first.End);
      };
      const started = async (name: string) => Date.parse((await state(name)).State.StartedAt);
      // PostgreSQL was called healthy only once its real server listened on TCP, not while the
      // entrypoint's temporary one (socket only) made the database.
      const listening = /^(\S+ \S+) UTC \[1\] LOG: +listening on IPv4/m.exec(
        await running().logs(named('postgres')),
      );
      assert.ok(listening?.[1], 'the server (PID 1) listened on TCP');
      assert.ok((await passed(named('postgres'))) >= Date.parse(`${listening[1]}Z`));
      // depends_on: condition: service_healthy, held by the engine's own records.
      for (const replicaName of [named('sluice', 1), named('sluice', 2)]) {
        assert.ok((await started(replicaName)) >= (await passed(named('postgres'))));
        assert.ok((await started(replicaName)) >= (await passed(named('redis'))));
        assert.ok((await started(named('nginx'))) >= (await passed(replicaName)));
      }
      // The exec-form check reached podman as exec form, the compose file's words intact (but
      // for the address it asks: compose-host-network.ts).
      const { address } = running().instance('sluice', 2);
      const words = service(project, 'sluice').healthcheck?.test;
      assert.equal(words?.form, 'CMD');
      assert.deepEqual((await state(named('sluice', 2))).Config.Healthcheck?.Test, [
        'CMD',
        ...words.args.map((word) => word.replaceAll('127.0.0.1', address)),
      ]);
      // The environment as Compose passes it: empty defaults empty, nothing literal.
      const env = (await state(named('sluice', 1))).Config.Env;
      for (const empty of [
        'HTTP_PROXY',
        'HTTPS_PROXY',
        'ANTHROPIC_API_KEY',
        'SLUICE_METRICS_TOKEN',
      ])
        assert.ok(env.includes(`${empty}=`), `${empty}= in ${env.join(' ')}`);
      assert.ok(env.includes(`BASE_URL=${upstream.origin}`));
      assert.ok(!env.some((entry) => entry.includes('${')), env.join('\n'));
    },
  );

  it('sluice doctor through its nginx: healthy', async () => {
    const run = await runDoctor([
      front,
      '--json',
      ...probeArgs({ events: 20, intervalMs: 50, pad: 512, silenceMs: 0 }),
    ]);
    assert.ok(run.json, `doctor printed JSON:\n${run.stdout}\n${run.stderr}`);
    assert.equal(run.json.verdict, 'ok', run.stdout);
    assert.equal(run.code, 0);
    assert.equal(run.json.causes[0]?.id, 'healthy');
  });

  it('streams through nginx: each event reaches the client before the upstream sends the next', async () => {
    const paced = pacedByClient(5);
    upstream.script(paced.script);
    try {
      const stream = await postStream(`${front}/v1/chat/completions`, {
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      assert.equal(stream.status, 200);
      for await (const event of stream.events) if (event.data !== undefined) paced.ack(event.data);
      assert.deepEqual(await paced.delivered, Array(5).fill(true));
    } finally {
      upstream.script(chatStream('openai-chat/openai-text.chunks.txt'));
    }
  });

  it('nginx publishes no /metrics (each replica serves it inside), and the probe as documented', async () => {
    // README: "compose publishes only nginx".
    assert.deepEqual(
      project.services.filter((s) => s.ports.length > 0).map((s) => s.name),
      ['nginx'],
    );
    assert.equal((await fetch(`${replica(1)}/metrics`)).status, 200, 'the replica serves it');
    for (const path of ['/metrics', '/%6Detrics', '//metrics', '/metrics?x=1'])
      assert.equal(await statusOf(`${front}${path}`), 404, path);
    // The probe `sluice doctor` reads, within its documented bounds (README: events 1–1000).
    const probe = await fetch(`${front}/sluice/probe?events=2&interval_ms=0`);
    assert.equal(probe.status, 200);
    assert.match(probe.headers.get('content-type') ?? '', /^text\/event-stream/);
    await probe.text();
    assert.equal((await fetch(`${front}/sluice/probe?events=1001`)).status, 400);
  });

  it('the replicas share PostgreSQL: a user and key made through one work through the other', async () => {
    const user = await call(replica(1), 'POST', '/api/admin/users', {
      username: 'ada',
      password: 'correct horse battery staple',
    });
    assert.equal(user.status, 201);
    const found = await call(replica(2), 'GET', '/api/admin/users/ada');
    assert.equal(found.status, 200);
    const key = await call(replica(2), 'POST', '/api/admin/keys', { user: 'ada' });
    assert.equal(key.status, 201);
    const answer = await chat(replica(1), String(key.body.key));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  });

  it('the replicas share Redis: a key’s rpm spent on one is spent on the other', async () => {
    const key = await call(replica(1), 'POST', '/api/admin/keys', {
      user: 'ada',
      limits: { rpm: 3 },
    });
    assert.equal(key.status, 201);
    const secret = String(key.body.key);
    for (let i = 0; i < 3; i++) assert.equal((await chat(replica(1), secret)).status, 200);
    // Replica 2 has served this key nothing: only a shared counter refuses it.
    const refused = await chat(replica(2), secret);
    assert.equal(refused.status, 429);
    assert.equal((refused.body.error as { code: string }).code, 'rate_limit_exceeded');
  });

  it('nginx spreads requests over both replicas (it resolved "sluice" to both)', async () => {
    const instanceOf = (headers: Headers) =>
      /^req_([0-9a-f]{12})/.exec(headers.get('x-sluice-request-id') ?? '')?.[1];
    const own = await Promise.all(
      [1, 2].map(async (i) => instanceOf((await chat(replica(i), ADMIN_KEY)).headers)),
    );
    assert.equal(new Set(own).size, 2, 'two instances');
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 8; i++) seen.add(instanceOf((await chat(front, ADMIN_KEY)).headers));
    assert.deepEqual([...seen].sort(), [...own].sort());
  });

  it('left every container running, none restarted', async () => {
    for (const instance of running().instances) {
      const state = await running().inspect(instance.name);
      assert.equal(state.State.Status, 'running', instance.name);
      assert.equal(state.RestartCount, 0, `${instance.name} restarted`);
    }
  });
});

function service(project: ComposeProject, name: string) {
  const found = project.services.find((s) => s.name === name);
  assert.ok(found, name);
  return found;
}

/** The status for a path sent as it is (fetch would normalise `//metrics`). */
function statusOf(url: string): Promise<number> {
  const { host } = new URL(url);
  const path = url.slice(url.indexOf(host) + host.length);
  return new Promise((resolve, reject) => {
    const req = request(`http://${host}`, { path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}
