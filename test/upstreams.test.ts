/**
 * Every provider a user has (issue #12). On the first round's main a dead first upstream was
 * asked again on 4 of 4 requests; there were no key pools, weights, cooldowns or aliases; an
 * upstream's `gpt-*` turned `text-embedding-3-small` away; `OPENAI_BASE_URL=http://host:port`
 * sent `//models` upstream. Round trips are counted here, not timed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import {
  deferred,
  type FakeUpstream,
  jsonReply,
  startFakeUpstream,
  type UpstreamCall,
} from './support/fake-upstream.ts';
import { ADMIN_KEY, startTestSluice, type TestSluice } from './support/sluice.ts';
import { metric, waitFor } from './support/wait.ts';

const COMPLETION = (model: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model,
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
});

/** Answers chat and embeddings like OpenAI, echoing the model it was asked for. */
function answering(call: UpstreamCall): void {
  const model =
    typeof call.json?.model === 'string'
      ? call.json.model
      : (/name="model"\r\n\r\n([^\r]*)/.exec(call.body.toString('latin1'))?.[1] ?? 'm');
  if (call.path.includes('/embeddings')) {
    void jsonReply(200, {
      object: 'list',
      data: [],
      model,
      usage: { prompt_tokens: 3, total_tokens: 3 },
    })(call);
  } else if (call.path.endsWith('/models')) {
    void jsonReply(200, {
      object: 'list',
      data: [{ id: 'gpt-4.1-mini', object: 'model', created: 0, owned_by: 'x' }],
    })(call);
  } else {
    void jsonReply(200, COMPLETION(model))(call);
  }
}

/** A port that accepts connections and drops them at once: an upstream that is down. */
async function deadUpstream(): Promise<{
  origin: string;
  connections: () => number;
  close: () => Promise<void>;
}> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-upstreams-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function sluiceWith(config: unknown, env: Record<string, string> = {}): Promise<TestSluice> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(config));
  return startTestSluice({ SLUICE_CONFIG: file, ...env });
}

const openai = (sluice: TestSluice) =>
  new OpenAI({ baseURL: sluice.baseURL, apiKey: ADMIN_KEY, maxRetries: 0 });

const chat = (sluice: TestSluice, model = 'gpt-4.1-mini') =>
  openai(sluice).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('health-aware choice', () => {
  it('a dead upstream costs a round trip only until its breaker opens, then none', async () => {
    const dead = await deadUpstream();
    const alive = await startFakeUpstream(answering);
    const sluice = await sluiceWith({
      breaker: { failures: 3, cooldown: '10m' },
      upstreams: [
        { name: 'dead', baseUrl: dead.origin, apiKey: 'sk-dead' },
        { name: 'alive', baseUrl: alive.origin, apiKey: 'sk-alive' },
      ],
    });
    try {
      for (let i = 0; i < 8; i++)
        assert.equal((await chat(sluice)).choices[0]?.message.content, 'ok');
      assert.equal(dead.connections(), 3, 'asked three times, then skipped');
      assert.equal(alive.calls.length, 8);
      assert.equal(
        await metric(sluice.url, 'sluice_upstream_breaker_state\\{upstream="dead",key=""\\}'),
        1,
      );
      const view = (await (
        await fetch(`${sluice.url}/api/admin/upstreams`, {
          headers: { authorization: `Bearer ${ADMIN_KEY}` },
        })
      ).json()) as { data: { name: string; state: string; reason: string | null }[] };
      const shown = view.data.find((u) => u.name === 'dead');
      assert.ok(shown);
      assert.equal(shown.state, 'open');
      assert.match(shown.reason ?? '', /unreachable/);
      assert.ok(
        sluice.logs.some((l) => l.msg === 'upstream breaker open: skipped until it recovers'),
      );
    } finally {
      await sluice.stop();
      await alive.stop();
      await dead.close();
    }
  });

  it('an upstream answering 503 is skipped the same way, after three', async () => {
    const failing = await startFakeUpstream(
      jsonReply(503, { error: { message: 'overloaded', type: 'server_error' } }),
    );
    const alive = await startFakeUpstream(answering);
    const sluice = await sluiceWith({
      breaker: { failures: 3, cooldown: '10m' },
      upstreams: [
        { name: 'failing', baseUrl: failing.origin },
        { name: 'alive', baseUrl: alive.origin },
      ],
    });
    try {
      for (let i = 0; i < 6; i++) await chat(sluice);
      assert.equal(failing.calls.length, 3);
      assert.equal(alive.calls.length, 6);
    } finally {
      await sluice.stop();
      await Promise.all([failing.stop(), alive.stop()]);
    }
  });

  it('a 429 on one key of a pool goes to the next key in the same request; later ones skip it', async () => {
    const pool = await startFakeUpstream((call) => {
      if (call.headers.authorization === 'Bearer sk-one')
        void jsonReply(
          429,
          { error: { message: 'Rate limit reached', type: 'requests' } },
          { 'retry-after': '600' },
        )(call);
      else answering(call);
    });
    const sluice = await sluiceWith({
      upstreams: [{ name: 'pool', baseUrl: pool.origin, apiKeys: ['sk-one', 'sk-two'] }],
    });
    try {
      assert.equal((await chat(sluice)).choices[0]?.message.content, 'ok');
      assert.deepEqual(
        pool.calls.map((c) => c.headers.authorization),
        ['Bearer sk-one', 'Bearer sk-two'],
      );
      await chat(sluice);
      await chat(sluice);
      assert.deepEqual(
        pool.calls.slice(2).map((c) => c.headers.authorization),
        ['Bearer sk-two', 'Bearer sk-two'],
        'the limited key rests until its Retry-After',
      );
    } finally {
      await sluice.stop();
      await pool.stop();
    }
  });

  it('after the cooldown one request probes (the others skip it); a probe that says nothing of the upstream frees the slot', async () => {
    const failing = jsonReply(503, { error: { message: 'overloaded', type: 'server_error' } });
    const first = await startFakeUpstream(failing);
    const backup = await startFakeUpstream(answering);
    const sluice = await sluiceWith({
      breaker: { failures: 1, cooldown: '3s' },
      upstreams: [
        { name: 'first', baseUrl: first.origin, priority: 0 },
        { name: 'backup', baseUrl: backup.origin, priority: 1 },
      ],
    });
    const state = () =>
      metric(sluice.url, 'sluice_upstream_breaker_state\\{upstream="first",key=""\\}');
    const halfOpen = () => waitFor(async () => (await state()) === 2, { what: 'half-open' });
    try {
      await chat(sluice);
      await chat(sluice);
      assert.deepEqual([first.calls.length, backup.calls.length], [1, 2], 'open: no round trip');
      await halfOpen();

      // The probe is held by the upstream; meanwhile the next request does not try it.
      const go = deferred();
      first.script(async (call) => {
        await go.promise;
        answering(call);
      });
      const probe = chat(sluice);
      await first.nextCall();
      await chat(sluice);
      assert.deepEqual([first.calls.length, backup.calls.length], [2, 3]);
      go.resolve();
      await probe;
      assert.equal(await state(), 0, 'the probe succeeded: closed');
      await chat(sluice);
      assert.equal(first.calls.length, 3, 'back in use');

      // Open again; this time the probe is answered 429: that says nothing of the upstream (its
      // key is limited), so the next request may probe the upstream again.
      first.script(failing);
      await chat(sluice);
      await halfOpen();
      first.script(jsonReply(429, { error: { message: 'slow down' } }, { 'retry-after': '0' }));
      await chat(sluice);
      first.script(answering);
      const before = first.calls.length;
      await chat(sluice);
      assert.equal(first.calls.length, before + 1, 'probed again, not skipped for good');
    } finally {
      await sluice.stop();
      await Promise.all([first.stop(), backup.stop()]);
    }
  });

  it('an upstream busy with an open stream is passed over for one with nothing in flight', async () => {
    const hold = deferred();
    const busy = await startFakeUpstream(async (call) => {
      await hold.promise;
      answering(call);
    });
    const idle = await startFakeUpstream(answering);
    const sluice = await sluiceWith({
      upstreams: [
        { name: 'busy', baseUrl: busy.origin, priority: 0 },
        { name: 'idle', baseUrl: idle.origin, priority: 0 },
      ],
    });
    try {
      // The first request goes to `busy` (round-robin's first turn) and stays open there.
      const first = chat(sluice);
      await busy.nextCall();
      // Round-robin alone would alternate; with one request open on `busy`, each goes to `idle`.
      for (let i = 0; i < 4; i++) await chat(sluice);
      assert.deepEqual([busy.calls.length, idle.calls.length], [1, 4]);
      hold.resolve();
      await first;
      // Nothing in flight again: turns are taken by weight.
      for (let i = 0; i < 4; i++) await chat(sluice);
      assert.deepEqual([busy.calls.length, idle.calls.length], [3, 6]);
    } finally {
      await sluice.stop();
      await Promise.all([busy.stop(), idle.stop()]);
    }
  });

  it('one priority is shared by weight; a lower priority only when the first cannot serve', async () => {
    const heavy = await startFakeUpstream(answering);
    const light = await startFakeUpstream(answering);
    const backup = await startFakeUpstream(answering);
    const sluice = await sluiceWith({
      upstreams: [
        { name: 'heavy', baseUrl: heavy.origin, priority: 0, weight: 3 },
        { name: 'light', baseUrl: light.origin, priority: 0, weight: 1 },
        { name: 'backup', baseUrl: backup.origin, priority: 5 },
      ],
    });
    try {
      for (let i = 0; i < 8; i++) await chat(sluice);
      assert.deepEqual([heavy.calls.length, light.calls.length, backup.calls.length], [6, 2, 0]);
    } finally {
      await sluice.stop();
      await Promise.all([heavy.stop(), light.stop(), backup.stop()]);
    }
  });
});

describe('models, aliases and addresses', () => {
  let upstream: FakeUpstream;
  let sluice: TestSluice;
  before(async () => {
    upstream = await startFakeUpstream(answering);
    sluice = await sluiceWith({
      upstreams: [
        {
          name: 'openai',
          baseUrl: upstream.origin,
          apiKey: 'sk-o',
          models: ['gpt-*'],
          aliases: { fast: 'gpt-4.1-mini', ears: 'gpt-4o-transcribe' },
        },
      ],
    });
  });
  after(async () => {
    await sluice.stop();
    await upstream.stop();
  });

  it('a form naming an alias after its file (the official client) reaches the upstream renamed', async () => {
    // The upstream depends on the model here (aliases, patterns): the file waits for `model`.
    const result = await openai(sluice).audio.transcriptions.create({
      file: await toFile(Buffer.alloc(50_000, 3), 'a.mp3', { type: 'audio/mpeg' }),
      model: 'ears',
    });
    assert.equal((result as unknown as { model: string }).model, 'gpt-4o-transcribe');
    const form = upstream.calls.at(-1)?.body.toString('latin1') ?? '';
    assert.match(form, /name="model"\r\n\r\ngpt-4o-transcribe\r\n/);
    assert.ok(form.includes(Buffer.alloc(50_000, 3).toString('latin1')), 'the whole file went');
  });

  it('an alias is listed, sent upstream by its real name, and recorded by both', async () => {
    const ids = (await openai(sluice).models.list()).data.map((m) => m.id);
    assert.ok(ids.includes('fast'));
    assert.ok(ids.includes('gpt-4.1-mini'));
    await chat(sluice, 'fast');
    assert.equal(upstream.calls.at(-1)?.json?.model, 'gpt-4.1-mini');
    await sluice.running.settled();
    const [record] = await sluice.running.store.listUsage({ limit: 1 });
    assert.ok(record);
    assert.equal(record.model, 'gpt-4.1-mini', 'priced as what was served');
    assert.equal(record.requestedModel, 'fast');
  });

  it('a model named like an Object property is served by no upstream that lists other models', async () => {
    for (const model of ['constructor', 'toString', '__proto__'])
      await assert.rejects(chat(sluice, model), OpenAI.NotFoundError, model);
  });

  it('patterns written for chat models do not turn embeddings away', async () => {
    const embedding = await openai(sluice).embeddings.create({
      model: 'text-embedding-3-small',
      input: 'x',
    });
    assert.equal(embedding.model, 'text-embedding-3-small');
    await assert.rejects(
      chat(sluice, 'claude-3'),
      OpenAI.NotFoundError,
      'a chat model nobody serves',
    );
  });
});

describe('base URLs', () => {
  it('OPENAI_BASE_URL given as an origin, or with a trailing slash, is used as given', async () => {
    const upstream = await startFakeUpstream(answering);
    for (const base of [upstream.origin, `${upstream.origin}/`]) {
      const sluice = await startTestSluice({ OPENAI_BASE_URL: base, OPENAI_API_KEY: 'sk-o' });
      try {
        await openai(sluice).models.list();
        await chat(sluice);
        assert.deepEqual(
          upstream.calls.slice(-2).map((c) => c.path),
          ['/models', '/chat/completions'],
        );
      } finally {
        await sluice.stop();
      }
    }
    await upstream.stop();
  });

  it('Azure OpenAI: deployments, api-version and api-key, as the AzureOpenAI client sends them', async () => {
    const azure = await startFakeUpstream(answering);
    const sluice = await sluiceWith({
      upstreams: [
        {
          name: 'azure',
          family: 'azure',
          baseUrl: azure.origin,
          apiKey: 'azure-key',
          apiVersion: '2024-10-21',
          deployments: { 'gpt-4o': 'prod-4o', 'text-embedding-3-small': 'embed' },
        },
      ],
    });
    try {
      await chat(sluice, 'gpt-4o');
      await openai(sluice).embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
      await fetch(`${sluice.baseURL}/files?purpose=batch`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      assert.deepEqual(
        azure.calls.map((c) => c.path),
        [
          '/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21',
          '/openai/deployments/embed/embeddings?api-version=2024-10-21',
          '/openai/files?purpose=batch&api-version=2024-10-21',
        ],
      );
      for (const call of azure.calls) {
        assert.equal(call.headers['api-key'], 'azure-key');
        assert.equal(call.headers.authorization, undefined);
      }
    } finally {
      await sluice.stop();
      await azure.stop();
    }
  });

  it('Azure: a model is one path segment whatever its name; `.` and `..` are refused before anything goes upstream', async () => {
    // No deployments listed: every model is a deployment of its own name.
    const azure = await startFakeUpstream(answering);
    const sluice = await sluiceWith({
      upstreams: [
        { name: 'azure', family: 'azure', baseUrl: azure.origin, apiKey: 'k', apiVersion: 'v1' },
      ],
    });
    try {
      for (const model of ['constructor', '__proto__', 'a/../b', 'x?y#z'])
        await chat(sluice, model);
      assert.deepEqual(
        azure.calls.map((c) => c.path),
        [
          '/openai/deployments/constructor/chat/completions?api-version=v1',
          '/openai/deployments/__proto__/chat/completions?api-version=v1',
          '/openai/deployments/a%2F..%2Fb/chat/completions?api-version=v1',
          '/openai/deployments/x%3Fy%23z/chat/completions?api-version=v1',
        ],
      );
      for (const model of ['..', '.']) {
        await assert.rejects(
          chat(sluice, model),
          (error: unknown) =>
            error instanceof OpenAI.BadRequestError &&
            error.param === 'model' &&
            error.message.includes(`\`${model}\` is not the name of a model`),
        );
        // A form's model is read as the upload streams: refused the same.
        await assert.rejects(
          openai(sluice).audio.transcriptions.create({
            model,
            file: await toFile(Buffer.from('RIFF'), 'a.wav'),
          }),
          (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'model',
        );
      }
      assert.equal(azure.calls.length, 4, 'nothing more reached the upstream');
    } finally {
      await sluice.stop();
      await azure.stop();
    }
  });
});
