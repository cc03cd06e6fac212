/**
 * The Dockerfile, built and run by a real container engine (issue #14): Debian's podman builds it
 * unchanged on a local stand-in for node:24-slim (no registry is reachable here; see
 * support/container/base-image.ts), and the image is checked from outside as a user would:
 * /healthz and its HEALTHCHECK, a stream through it with the upstream call going out through
 * HTTP_PROXY (a real tinyproxy), `sluice doctor` through it, a non-root uid, the /data volume
 * outliving the container, and SIGTERM (`podman stop`) draining an open stream.
 *
 * The containers share the host's network: everything they talk to listens on loopback.
 * A missing podman, runc or mmdebstrap fails the test; it is never skipped.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { formatEvent } from '../src/sse/index.ts';
import { pacedByClient } from './support/causality.ts';
import { OFFICIAL_IMAGE, standInNodeSlim } from './support/container/base-image.ts';
import { type RunningContainer, runContainer } from './support/container/container.ts';
import { openPodman, type Podman } from './support/container/podman.ts';
import {
  deferred,
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { ADMIN_KEY } from './support/sluice.ts';
import { postStream } from './support/sse-client.ts';
import { startTinyproxy, type TestTinyproxy } from './support/tinyproxy.ts';
import { waitFor } from './support/wait.ts';
import { waitForText } from './support/wait-for-text.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Names unique to this run: what it makes, it removes (the cached base image stays). */
const RUN = `${String(process.pid)}-${randomBytes(3).toString('hex')}`;
const IMAGE = `localhost/sluice-test/sluice:${RUN}`;
const VOLUME = `sluice-test-data-${RUN}`;

/**
 * The base image takes under a minute to make here, 3–4 minutes on a busier machine; the
 * project's build about half a minute more (npm ci of every dependency, twice as long when the
 * machine is busy). Later runs reuse the base. Generous, and still a bound.
 */
const BUILD_TIMEOUT_MS = 25 * 60_000;

let podman: Podman;
let upstream: FakeUpstream;
let tinyproxy: TestTinyproxy;
/** The container in use: the first, then the one that replaces it on the same volume. */
let sluice: RunningContainer | undefined;

before(async () => {
  podman = await openPodman();
  podman.adopt('image', IMAGE);
  upstream = await startFakeUpstream();
  tinyproxy = await startTinyproxy();
});
after(async () => {
  await Promise.all([podman.close(), upstream.stop(), tinyproxy.stop()]);
});

/** A container of the image on VOLUME, its upstream the fake one, reached through tinyproxy. */
function start(label: string): Promise<RunningContainer> {
  return runContainer(podman, {
    image: IMAGE,
    name: `sluice-test-${label}-${RUN}`,
    volume: VOLUME,
    env: {
      SLUICE_ADMIN_KEY: ADMIN_KEY,
      BASE_URL: upstream.origin,
      OPENAI_API_KEY: 'sk-upstream',
      HTTP_PROXY: tinyproxy.url,
      SLUICE_DRAIN_TIMEOUT: '60s',
    },
  });
}

function running(): RunningContainer {
  assert.ok(sluice, 'a container is running (the tests before this one started it)');
  return sluice;
}

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${running().url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Whether a TCP connect to `url` is refused: the listener is closed. */
function refused(url: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(true);
    });
  });
}

describe('the Docker image, built and run by podman', () => {
  it('installs with --ignore-scripts, which skips nothing a production dependency needs', () => {
    // `npm ci` would run `prepare` before web/ is copied (issue #14); the Dockerfile skips every
    // script instead. Should a production dependency gain an install script, this says so.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }>;
    };
    const scripted = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript === true && entry.dev !== true)
      .map(([path]) => path);
    assert.deepEqual(scripted, []);
  });

  it(
    'builds from the Dockerfile as it is, on a stand-in node:24-slim; HEALTHCHECK kept',
    { timeout: BUILD_TIMEOUT_MS },
    async (t) => {
      const deadline = Date.now() + BUILD_TIMEOUT_MS - 60_000;
      const base = await standInNodeSlim(podman, BUILD_TIMEOUT_MS / 2);
      t.diagnostic(`${base.tag}: ${base.built ? 'built' : 'from an earlier run'}`);
      await podman.run(
        [
          'build',
          // Docker's image format: the OCI one has no HEALTHCHECK and would drop it.
          '--format',
          'docker',
          '--network',
          'host',
          // No --pull=never: it does not resolve the short name `node:24-slim` to the stand-in
          // just tagged. The default (`missing`) finds it there and asks no registry.
          // No layer cache: nothing of this build outlives the run but what `IMAGE` names.
          '--layers=false',
          '--tag',
          IMAGE,
          '--file',
          'Dockerfile',
          ROOT,
        ],
        { timeoutMs: Math.max(60_000, deadline - Date.now()) },
      );
      const inspected = await podman.run(['image', 'inspect', IMAGE]);
      const [image] = JSON.parse(inspected.stdout) as {
        Size: number;
        Config: { User: string; Volumes: Record<string, unknown> };
        /** Podman keeps Docker's HEALTHCHECK beside the OCI config, not in it. */
        Healthcheck?: { Test: string[] };
      }[];
      assert.ok(image);
      assert.equal(image.Config.User, 'node');
      assert.deepEqual(Object.keys(image.Config.Volumes), ['/data']);
      assert.ok(image.Healthcheck?.Test.join(' ').includes('/healthz'), 'the HEALTHCHECK survived');
      // Reported in the README and docs/deploy/docker.md; the base alone is ~218 MB here.
      const megabytes = image.Size / 1e6;
      t.diagnostic(
        `image size ${megabytes.toFixed(0)} MB, on the local ${OFFICIAL_IMAGE} stand-in`,
      );
      assert.ok(megabytes < 400, `${megabytes.toFixed(0)} MB: dev dependencies in the image?`);
    },
  );

  it('holds production dependencies only, and the built page', async () => {
    const name = `sluice-test-listing-${RUN}`;
    podman.adopt('container', name);
    const listing = await podman.run([
      'run',
      '--rm',
      '--pull=never',
      '--name',
      name,
      '--network',
      'none',
      '--health-interval',
      'disable',
      IMAGE,
      'sh',
      '-c',
      'ls node_modules web/dist; find src -name "*.test.ts"',
    ]);
    const names = listing.stdout.split('\n');
    for (const dependency of ['undici', 'zod', 'pg']) assert.ok(names.includes(dependency));
    for (const dev of ['vite', 'typescript', 'eslint', 'node'])
      assert.ok(!names.includes(dev), dev);
    assert.ok(names.includes('index.html'), 'web/dist/index.html');
    assert.deepEqual(
      names.filter((name) => name.endsWith('.test.ts')),
      [],
      '.dockerignore keeps tests out',
    );
  });

  it('starts as a non-root uid; /healthz answers and the HEALTHCHECK passes', async () => {
    sluice = await start('first');
    const status = await sluice.exec(['cat', '/proc/1/status']);
    assert.match(
      status,
      /^Uid:\s+1000\s+1000\s+1000\s+1000$/m,
      'Sluice itself (PID 1) runs as uid 1000',
    );
    const health = await fetch(`${sluice.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    // The image's own check, run inside the container by the engine: exit 0 or this throws.
    await podman.run(['healthcheck', 'run', sluice.name]);
  });

  it('streams through it, the upstream call going out through HTTP_PROXY (tinyproxy)', async () => {
    const paced = pacedByClient(5);
    upstream.script(paced.script);
    const stream = await postStream(`${running().url}/v1/chat/completions`, {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    assert.equal(stream.status, 200);
    for await (const event of stream.events) if (event.data !== undefined) paced.ack(event.data);
    assert.deepEqual(await paced.delivered, Array(5).fill(true), 'each event before the next');
    const port = new URL(upstream.origin).port;
    await waitForText(
      () => tinyproxy.log(),
      new RegExp(`POST http://127\\.0\\.0\\.1:${port}/v1/chat/completions`),
    );
  });

  it('sluice doctor through it: healthy', async () => {
    const run = await runDoctor([
      running().url,
      '--json',
      ...probeArgs({ events: 20, intervalMs: 50, pad: 512, silenceMs: 0 }),
    ]);
    assert.ok(run.json, `doctor printed JSON:\n${run.stdout}\n${run.stderr}`);
    assert.equal(run.json.verdict, 'ok', run.stdout);
    assert.equal(run.code, 0);
    assert.equal(run.json.causes[0]?.id, 'healthy');
  });

  it("lets the node user write Node's compile cache (node_modules/.cache/sluice)", async () => {
    await running().exec(['node', 'bin/sluice.js', '--help']);
    const cached = await running().exec(['find', 'node_modules/.cache/sluice', '-type', 'f']);
    assert.notEqual(cached.trim(), '', 'the CLI left compiled code in the cache');
  });

  it('keeps /data on its volume: a user made in one container is there in the next', async () => {
    const created = await admin('POST', '/api/admin/users', {
      username: 'ada',
      password: 'correct horse battery',
    });
    assert.equal(created.status, 201);
    const first = running();
    await podman.run(['stop', '--time', '90', first.name]);
    assert.equal(await first.exited, 'code 0');
    // --rm: the first container is gone with its own layer; only the volume is left.
    assert.equal(await podman.succeeds(['container', 'exists', first.name]), false);
    sluice = await start('second');
    const found = await admin('GET', '/api/admin/users/ada');
    assert.equal(found.status, 200);
    assert.equal(((await found.json()) as { username: string }).username, 'ada');
    // The CLI in the container reads the same store (docs/deploy/docker.md).
    assert.match(await running().exec(['node', 'bin/sluice.js', 'users', 'list']), /\bada\b/);
  });

  it('SIGTERM (podman stop): refuses new connections, the open stream finishes, exit 0', async () => {
    const container = running();
    const chunk = formatEvent({
      data: '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}',
    });
    const finish = deferred();
    upstream.script(async ({ res }) => {
      sseHead(res);
      res.write(chunk);
      await finish.promise;
      res.end(chunk + formatEvent({ data: '[DONE]' }));
    });
    const stream = await postStream(`${container.url}/v1/chat/completions`, {
      model: 'm',
      messages: [],
      stream: true,
    });
    const events = stream.events[Symbol.asyncIterator]();
    const first = await events.next();
    assert.ok(first.done !== true && first.value.data?.startsWith('{'), 'the stream is open');

    let stopReturned = false;
    const stopped = podman.run(['stop', '--time', '90', container.name]).then(() => {
      stopReturned = true;
    });
    await waitFor(() => refused(container.url), { what: 'the listener closed', timeoutMs: 60_000 });
    assert.equal(stopReturned, false, 'podman stop waits for the open stream');
    finish.resolve(); // only now may the upstream complete the stream

    const rest: (string | undefined)[] = [];
    for (let next = await events.next(); next.done !== true; next = await events.next())
      rest.push(next.value.data);
    assert.equal(rest.at(-1), '[DONE]');
    await stopped;
    assert.equal(await container.exited, 'code 0');
    assert.match(container.log(), /"msg":"draining","signal":"SIGTERM"/);
    sluice = undefined;
  });
});
