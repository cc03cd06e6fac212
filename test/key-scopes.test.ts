/**
 * What a user key may reach of the shared provider account. On the first round's main every
 * `/v1` path reached the provider with the operator's key: any user key could list and delete
 * files, list stored chat completions, read `/v1/responses/{id}` or call `/v1/organization/…` —
 * everything the account held, other users' data included. Now user keys reach the inference
 * routes and the model list; other routes need a grant (`--routes`), and the objects a user
 * creates through Sluice are theirs: another user naming one — in the path or in a body — is
 * told it does not exist, and lists show each user their own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { fixturePayloads } from './support/chat-fixtures.ts';
import { formatEvent } from '../src/sse/index.ts';
import {
  type FakeUpstream,
  sseHead,
  startFakeUpstream,
  type UpstreamCall,
  writeEvents,
} from './support/fake-upstream.ts';
import { ADMIN_KEY, keyFor, sluiceFor, type TestSluice } from './support/sluice.ts';
import { Accounts, type RouteScope } from '../src/accounts/index.ts';
import { NO_LIMITS } from '../src/store/index.ts';

const anthropicEvent = (data: { type: string } & Record<string, unknown>) =>
  formatEvent({ event: data.type, data: JSON.stringify(data) });

/** A provider account in miniature: files, batches, stored responses, an organisation. */
function providerAccount() {
  const files = new Map<string, Record<string, unknown>>([
    ['file-foreign', { id: 'file-foreign', object: 'file', filename: 'someone-elses.jsonl' }],
  ]);
  let next = 0;
  const json = (call: UpstreamCall, status: number, body: unknown) => {
    call.res.writeHead(status, { 'content-type': 'application/json' });
    call.res.end(JSON.stringify(body));
  };
  return async (call: UpstreamCall): Promise<void> => {
    const { method, path } = call;
    const [route = ''] = path.split('?');
    if (method === 'POST' && route === '/v1/files') {
      const id = `file-${++next}`;
      files.set(id, { id, object: 'file', filename: `upload-${next}.jsonl` });
      json(call, 200, files.get(id));
    } else if (method === 'GET' && route === '/v1/files') {
      json(call, 200, { object: 'list', data: [...files.values()], has_more: false });
    } else if (route.startsWith('/v1/files/')) {
      const id = route.split('/')[3] ?? '';
      json(call, 200, route.endsWith('/content') ? { content: id } : (files.get(id) ?? {}));
    } else if (method === 'POST' && route === '/v1/batches') {
      json(call, 200, { id: `batch_${++next}`, object: 'batch', status: 'validating' });
    } else if (route.startsWith('/v1/batches/')) {
      json(call, 200, {
        id: route.split('/')[3],
        object: 'batch',
        status: 'completed',
        output_file_id: 'file-output',
      });
    } else if (
      method === 'POST' &&
      route === '/v1/responses' &&
      JSON.stringify(call.json?.tools ?? []).includes('code_interpreter')
    ) {
      const n = ++next;
      const item = { type: 'code_interpreter_call', id: `ci_${n}`, container_id: `cntr_${n}` };
      const response = { id: `resp_${n}`, object: 'response', status: 'completed', output: [item] };
      if (call.json?.stream !== true) {
        json(call, 200, response);
        return;
      }
      sseHead(call.res);
      await writeEvents(
        call.res,
        [
          { type: 'response.created', response: { ...response, output: [] } },
          { type: 'response.output_item.added', output_index: 0, item },
          { type: 'response.completed', response },
        ].map((e) => formatEvent({ event: e.type, data: JSON.stringify(e) })),
      );
      call.res.end();
    } else if (method === 'POST' && route === '/v1/responses' && call.json?.stream === true) {
      sseHead(call.res);
      await writeEvents(
        call.res,
        fixturePayloads('openai-responses/openai-phase.1.chunks.txt').map((p) =>
          formatEvent({ event: String(p.type), data: JSON.stringify(p) }),
        ),
      );
      call.res.end();
    } else if (method === 'POST' && route === '/v1/responses') {
      const n = ++next;
      json(call, 200, {
        id: `resp_${n}`,
        object: 'response',
        status: 'completed',
        output: [{ id: `msg_out${n}`, type: 'message', role: 'assistant', content: [] }],
      });
    } else if (method === 'GET' && route.endsWith('/input_items')) {
      const response = route.split('/')[3] ?? '';
      json(call, 200, {
        object: 'list',
        data: [{ id: `msg_in_${response}`, type: 'message', role: 'user', content: [] }],
      });
    } else if (method === 'POST' && route === '/v1/messages') {
      // Code execution runs in a container the answer names (at the end, when streamed).
      const container = { id: `container_${++next}`, expires_at: '2026-12-04T15:00:00Z' };
      // …and the files the code wrote are fetched from the Files API by id.
      const result = {
        type: 'bash_code_execution_tool_result',
        tool_use_id: `srvtoolu_${next}`,
        content: {
          type: 'bash_code_execution_result',
          return_code: 0,
          stdout: '',
          stderr: '',
          content: [{ type: 'bash_code_execution_output', file_id: `file_out_${next}` }],
        },
      };
      if (call.json?.stream !== true) {
        json(call, 200, {
          id: `msg_${next}`,
          type: 'message',
          role: 'assistant',
          content: [result],
          container,
        });
        return;
      }
      sseHead(call.res);
      const usage = { input_tokens: 5, output_tokens: 1 };
      await writeEvents(call.res, [
        anthropicEvent({
          type: 'message_start',
          message: { id: `msg_${next}`, type: 'message', role: 'assistant', content: [], usage },
        }),
        anthropicEvent({ type: 'content_block_start', index: 0, content_block: result }),
        anthropicEvent({ type: 'content_block_stop', index: 0 }),
        anthropicEvent({
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', container },
          usage,
        }),
        anthropicEvent({ type: 'message_stop' }),
      ]);
      call.res.end();
    } else if (method === 'POST' && route === '/v1/evals') {
      json(call, 200, { id: `eval_${++next}`, object: 'eval' });
    } else if (method === 'POST' && /^\/v1\/evals\/[^/]+\/runs$/.test(route)) {
      json(call, 200, { id: `evalrun_${++next}`, object: 'eval.run', status: 'queued' });
    } else if (method === 'POST' && route === '/v1/chat/completions') {
      json(call, 200, { id: 'chatcmpl-1', object: 'chat.completion', choices: [] });
    } else {
      json(call, 200, { object: 'whatever', path: route });
    }
  };
}

let upstream: FakeUpstream;
let sluice: TestSluice;
let adminUserKey: string;
/** Files, batches and responses. */
let alice: string;
/** Files and responses. */
let bob: string;
/** Inference only. */
let carol: string;

async function scopedKey(username: string, routes: RouteScope[]) {
  await keyFor(sluice, username);
  const accounts = new Accounts(sluice.running.store, { key: NO_LIMITS, user: NO_LIMITS });
  return (await accounts.createKey({ username, routes })).secret;
}

before(async () => {
  upstream = await startFakeUpstream(providerAccount());
  sluice = await sluiceFor(upstream.origin);
  adminUserKey = await keyFor(sluice, 'root'); // the first user is an admin
  alice = await scopedKey('alice', ['files', 'batches', 'responses']);
  bob = await scopedKey('bob', ['files', 'responses']);
  carol = await keyFor(sluice, 'carol');
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});

async function call(key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${sluice.baseURL}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
}

const codeOf = (json: Record<string, unknown>) =>
  (json.error as { code?: string } | undefined)?.code;
const client = (key: string) => new OpenAI({ baseURL: sluice.baseURL, apiKey: key, maxRetries: 0 });

/** A one-line JSONL file of `key`'s, through the official client; its id. */
async function upload(key: string, purpose: 'batch' | 'evals'): Promise<string> {
  const file = await toFile(Buffer.from('{"item":{}}\n'), 'rows.jsonl');
  return (await client(key).files.create({ file, purpose })).id;
}

describe('route scopes', () => {
  it('a plain user key reaches none of the account: 403 route_not_allowed, nothing forwarded', async () => {
    const before = upstream.calls.length;
    for (const [method, path] of [
      ['GET', '/files'],
      ['DELETE', '/files/file-foreign'],
      ['GET', '/files/file-foreign/content'],
      ['GET', '/chat/completions'],
      ['GET', '/responses/resp_1'],
      ['POST', '/batches'],
      ['GET', '/organization/users'],
      ['GET', '/fine_tuning/jobs'],
      ['GET', '/vector_stores'],
      ['POST', '/realtime/sessions'],
      ['GET', '/something-new'],
      // Names an object answers to are unknown routes too, not inference.
      ['POST', '/constructor'],
      ['POST', '/__proto__'],
    ] as const) {
      const { status, json } = await call(carol, method, path, method === 'POST' ? {} : undefined);
      assert.equal(status, 403, `${method} ${path}`);
      assert.equal(codeOf(json), 'route_not_allowed', `${method} ${path}`);
    }
    assert.equal(upstream.calls.length, before);
    // Inference and the model list stay open.
    assert.equal(
      (await call(carol, 'POST', '/chat/completions', { model: 'm', messages: [] })).status,
      200,
    );
  });

  it('the official client raises PermissionDeniedError, naming the grant to ask for', async () => {
    await assert.rejects(client(carol).files.list(), (error: unknown) => {
      assert.ok(error instanceof OpenAI.PermissionDeniedError);
      assert.match(error.message, /--routes files/);
      return true;
    });
  });

  it('a grant opens its scope only: batches stay closed to a key granted files', async () => {
    assert.equal((await call(bob, 'GET', '/files')).status, 200);
    assert.equal(codeOf((await call(bob, 'POST', '/batches', {})).json), 'route_not_allowed');
  });

  it('admin keys and SLUICE_ADMIN_KEY reach every route', async () => {
    for (const key of [ADMIN_KEY, adminUserKey]) {
      assert.equal((await call(key, 'GET', '/organization/users')).status, 200);
      assert.equal((await call(key, 'GET', '/something-new')).status, 200);
      assert.equal((await call(key, 'GET', '/files/file-foreign')).status, 200);
    }
  });
});

describe('objects belong to who created them', () => {
  let alicesFile: string;
  let bobsFile: string;

  before(async () => {
    alicesFile = await upload(alice, 'batch');
    bobsFile = await upload(bob, 'batch');
  });

  it("another user's file is a 404 by id, for every method; nothing is forwarded", async () => {
    const before = upstream.calls.length;
    for (const [method, path] of [
      ['GET', `/files/${alicesFile}`],
      ['GET', `/files/${alicesFile}/content`],
      ['DELETE', `/files/${alicesFile}`],
      ['GET', '/files/file-foreign'],
    ] as const) {
      const { status, json } = await call(bob, method, path);
      assert.equal(status, 404, `${method} ${path}`);
      assert.equal(codeOf(json), 'object_not_found');
    }
    assert.equal(upstream.calls.length, before);
    await assert.rejects(client(bob).files.retrieve(alicesFile), OpenAI.NotFoundError);
    assert.equal((await client(alice).files.retrieve(alicesFile)).id, alicesFile);
  });

  it('an encoded id is the same id', async () => {
    const encoded = alicesFile.replace('-', '%2D');
    assert.equal((await call(bob, 'GET', `/files/${encoded}`)).status, 404);
    assert.equal((await call(alice, 'GET', `/files/${encoded}`)).status, 200);
  });

  it("a list shows each user their own objects; an admin's shows all", async () => {
    const ids = async (key: string) =>
      (await client(key).files.list()).data.map((f) => f.id).sort();
    assert.deepEqual(await ids(alice), [alicesFile]);
    assert.deepEqual(await ids(bob), [bobsFile]);
    assert.deepEqual(await ids(ADMIN_KEY), [alicesFile, bobsFile, 'file-foreign'].sort());
  });

  it('a body labelled multipart is no way round: 415 where the API takes no form', async () => {
    const before = upstream.calls.length;
    const post = (key: string, path: string, body: string) =>
      fetch(`${sluice.baseURL}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'multipart/form-data; boundary=zz',
        },
        body,
      });
    // The same JSON as the 404 below, labelled a form: it was relayed unread, unchecked.
    const batch = await post(
      alice,
      '/batches',
      JSON.stringify({ input_file_id: bobsFile, endpoint: '/v1/chat/completions' }),
    );
    assert.equal(batch.status, 415);
    assert.equal(upstream.calls.length, before, 'nothing forwarded');
  });

  it("naming another's object in a body is a 404 too: a batch input, a previous response", async () => {
    const before = upstream.calls.length;
    const batch = await call(alice, 'POST', '/batches', {
      input_file_id: bobsFile,
      endpoint: '/v1/chat/completions',
    });
    assert.equal(batch.status, 404);
    assert.equal(codeOf(batch.json), 'object_not_found');
    const chat = await call(bob, 'POST', '/chat/completions', {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: alicesFile } }] }],
    });
    assert.equal(chat.status, 404);
    const { id: alicesResponse } = (
      await call(alice, 'POST', '/responses', { model: 'gpt-4o', input: 'hi' })
    ).json as { id: string };
    const followUp = await call(bob, 'POST', '/responses', {
      model: 'gpt-4o',
      input: 'what did she ask?',
      previous_response_id: alicesResponse,
    });
    assert.equal(followUp.status, 404);
    assert.equal(upstream.calls.length, before + 1, 'only alice’s own response went upstream');
    // Her own objects she may name.
    assert.equal(
      (
        await call(alice, 'POST', '/batches', {
          input_file_id: alicesFile,
          endpoint: '/v1/chat/completions',
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await call(alice, 'POST', '/responses', {
          model: 'gpt-4o',
          input: 'more',
          previous_response_id: alicesResponse,
        })
      ).status,
      200,
    );
  });

  it('a metadata key or a tool schema that says file_id names no object', async () => {
    const { status } = await call(bob, 'POST', '/chat/completions', {
      model: 'gpt-4o',
      messages: [],
      metadata: { file_id: 'not-an-object' },
      tools: [
        {
          type: 'function',
          function: { name: 'f', parameters: { properties: { file_id: { type: 'string' } } } },
        },
      ],
    });
    assert.equal(status, 200);
  });

  it('files a batch produced are its owner’s: its output file can be fetched by her alone', async () => {
    const { id } = (
      await call(alice, 'POST', '/batches', {
        input_file_id: alicesFile,
        endpoint: '/v1/chat/completions',
      })
    ).json as { id: string };
    assert.equal((await call(alice, 'GET', `/batches/${id}`)).status, 200);
    assert.equal((await call(alice, 'GET', '/files/file-output/content')).status, 200);
    assert.equal((await call(bob, 'GET', '/files/file-output/content')).status, 404);
  });

  it('a stored response made by a stream is its creator’s', async () => {
    const stream = await client(alice).responses.create({
      model: 'gpt-4o',
      input: 'hi',
      stream: true,
    });
    let id = '';
    for await (const event of stream) if (event.type === 'response.created') id = event.response.id;
    assert.match(id, /^resp_/);
    assert.equal((await call(alice, 'GET', `/responses/${id}`)).status, 200);
    assert.equal((await call(bob, 'GET', `/responses/${id}`)).status, 404);
  });
});

describe('an eval run reads only its runner’s data', () => {
  // An eval run reads its rows server-side and shows them in its output items: from a file
  // named `{"type": "file_id", "id": …}`, or selected by query from the provider account's
  // stored chat completions or responses — every user's.
  let dave: string;
  let alicesFile: string;
  let davesFile: string;
  let davesEval: string;
  const runOf = (key: string, source: Record<string, unknown>) =>
    call(key, 'POST', `/evals/${davesEval}/runs`, {
      data_source: { type: source.type === 'responses' ? 'responses' : 'completions', source },
    });

  before(async () => {
    dave = await scopedKey('dave', ['evals', 'files']);
    alicesFile = await upload(alice, 'evals');
    davesFile = await upload(dave, 'evals');
    davesEval = (await call(dave, 'POST', '/evals', { name: 'mine' })).json.id as string;
  });

  it("another user's file as its source is a 404; their own is run", async () => {
    const before = upstream.calls.length;
    const foreign = await runOf(dave, { type: 'file_id', id: alicesFile });
    assert.equal(foreign.status, 404);
    assert.equal(codeOf(foreign.json), 'object_not_found');
    assert.equal(upstream.calls.length, before, 'nothing forwarded');
    assert.equal((await runOf(dave, { type: 'file_id', id: davesFile })).status, 200);
  });

  it('a source selecting stored completions or responses is refused to all but admins', async () => {
    const before = upstream.calls.length;
    for (const type of ['stored_completions', 'responses']) {
      const { status, json } = await runOf(dave, { type, model: 'gpt-4o' });
      assert.equal(status, 403, type);
      assert.equal(codeOf(json), 'shared_source', type);
      const error = json.error as { message: string; param: string };
      assert.equal(error.param, 'data_source.source');
      assert.match(error.message, /every user/);
    }
    assert.equal(upstream.calls.length, before, 'nothing forwarded');
    assert.equal((await runOf(ADMIN_KEY, { type: 'stored_completions' })).status, 200);
  });
});

describe('code containers belong to who ran code in them', () => {
  // A container is made for the caller when code runs; they name it again to keep its files
  // (Anthropic's `container`, OpenAI's `container_id` in the output items a stateless client
  // sends back). Another user naming it is told it does not exist.
  const codeExecution = [{ type: 'code_execution_20250825', name: 'code_execution' }];
  const request = {
    model: 'claude-sonnet-4-5',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'run it' }],
    tools: codeExecution,
  };
  const message = (key: string, extra: Record<string, unknown>) =>
    call(key, 'POST', '/messages', { ...request, ...extra });
  /** The same request streamed: the whole event stream, as text. */
  const streamed = async (key: string) => {
    const response = await fetch(`${sluice.baseURL}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...request, stream: true }),
    });
    return response.text();
  };

  it('a file is added to a container by a form, but not named in one: file_id in a form is 400', async () => {
    const { id } = (await message(carol, {})).json.container as { id: string };
    const containers = await scopedKey('carol', ['containers']);
    const post = (body: string) =>
      fetch(`${sluice.baseURL}/containers/${id}/files`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${containers}`,
          'content-type': 'multipart/form-data; boundary=zz',
        },
        body,
      });
    const before = upstream.calls.length;
    // The API's other way, JSON, is read and checked; a form's field was relayed unread.
    const byId = await post(
      `--zz\r\nContent-Disposition: form-data; name="file_id"\r\n\r\nfile-foreign\r\n--zz--\r\n`,
    );
    assert.equal(byId.status, 400);
    assert.equal(((await byId.json()) as { error: { param: string } }).error.param, 'file_id');
    assert.equal(upstream.calls.length, before, 'nothing forwarded');
    await post(
      `--zz\r\nContent-Disposition: form-data; name="file"; filename="a.py"\r\n\r\nprint(1)\r\n--zz--\r\n`,
    );
    const call = upstream.calls.at(-1);
    assert.equal(call?.path, `/v1/containers/${id}/files`, 'an upload goes through, as a form');
    assert.match(call.body.toString(), /filename="a.py"[\s\S]*print\(1\)/);
  });

  it('an Anthropic container, from a whole answer or a stream, is reused by its user alone', async () => {
    const whole = await message(carol, {});
    const fromWhole = (whole.json.container as { id: string }).id;
    const fromStream = /"container":\{"id":"([^"]+)"/.exec(await streamed(carol))?.[1];
    assert.ok(fromStream !== undefined && fromStream !== fromWhole);
    for (const container of [fromWhole, fromStream]) {
      assert.equal((await message(carol, { container })).status, 200, container);
      const foreign = await message(bob, { container });
      assert.equal(foreign.status, 404, container);
      assert.equal(codeOf(foreign.json), 'object_not_found');
    }
  });

  it('the files Anthropic code execution wrote are fetched by their user alone', async () => {
    const fileOf = (text: string) => /"file_id":"(file_out_[^"]+)"/.exec(text)?.[1];
    const whole = fileOf(JSON.stringify((await message(bob, {})).json));
    const fromStream = fileOf(await streamed(bob));
    for (const file of [whole, fromStream]) {
      assert.ok(file !== undefined);
      assert.equal((await call(bob, 'GET', `/files/${file}/content`)).status, 200, file);
      assert.equal((await call(alice, 'GET', `/files/${file}/content`)).status, 404, file);
    }
  });

  it('an OpenAI container named in replayed output items, or in the tool, is its user’s', async () => {
    const tools = (container?: string) => [
      { type: 'code_interpreter', container: container ?? { type: 'auto' } },
    ];
    const stream = await client(carol).responses.create({
      model: 'gpt-4o',
      input: 'run it',
      store: false,
      stream: true,
      tools: tools() as OpenAI.Responses.Tool[],
    });
    let item: Record<string, unknown> | undefined;
    for await (const event of stream)
      if (event.type === 'response.output_item.added') item = event.item as never;
    const container = item?.container_id;
    assert.equal(typeof container, 'string');
    const replay = (key: string) =>
      call(key, 'POST', '/responses', {
        model: 'gpt-4o',
        store: false,
        input: [{ role: 'user', content: 'run it' }, item, { role: 'user', content: 'again' }],
        tools: tools(container as string),
      });
    assert.equal((await replay(carol)).status, 200);
    const foreign = await replay(bob);
    assert.equal(foreign.status, 404);
    assert.equal(codeOf(foreign.json), 'object_not_found');
  });
});

describe('items of stored responses belong to who made them', () => {
  // A Responses request can pull any stored item into its context by id — another user's
  // message, reasoning or tool call — without naming the response that holds it.
  const reference = (id: string, typed: boolean) =>
    typed ? { type: 'item_reference', id } : { id };

  it("another's output item is a 404, typed or not; one's own goes upstream", async () => {
    const { json } = await call(alice, 'POST', '/responses', { model: 'gpt-4o', input: 'hi' });
    const item = (json.output as { id: string }[])[0]?.id ?? '';
    assert.match(item, /^msg_out/);
    for (const typed of [true, false]) {
      const before = upstream.calls.length;
      const stolen = await call(bob, 'POST', '/responses', {
        model: 'gpt-4o',
        input: [reference(item, typed), { role: 'user', content: 'repeat that' }],
      });
      assert.equal(stolen.status, 404, `typed: ${typed}`);
      assert.equal(codeOf(stolen.json), 'object_not_found');
      assert.equal(upstream.calls.length, before, 'nothing forwarded');
      const own = await call(alice, 'POST', '/responses', {
        model: 'gpt-4o',
        input: [reference(item, typed)],
      });
      assert.equal(own.status, 200);
    }
    // Counting tokens reads the same input.
    const count = await call(bob, 'POST', '/responses/input_tokens', {
      model: 'gpt-4o',
      input: [reference(item, true)],
    });
    assert.equal(count.status, 404);
  });

  it('the items a stream adds are its creator’s', async () => {
    const stream = await client(alice).responses.create({
      model: 'gpt-4o',
      input: 'hi',
      stream: true,
    });
    const items: string[] = [];
    for await (const event of stream)
      if (event.type === 'response.output_item.added') items.push(event.item.id ?? '');
    assert.equal(items.length, 2);
    for (const item of items) {
      const input = [{ type: 'item_reference' as const, id: item }];
      await assert.rejects(
        client(bob).responses.create({ model: 'gpt-4o', input }),
        OpenAI.NotFoundError,
      );
      assert.equal(
        (await call(alice, 'POST', '/responses', { model: 'gpt-4o', input })).status,
        200,
      );
    }
  });

  it('the input items a response shows its owner are hers to name', async () => {
    const { json } = await call(alice, 'POST', '/responses', { model: 'gpt-4o', input: 'hi' });
    const id = String(json.id);
    const page = await call(alice, 'GET', `/responses/${id}/input_items`);
    assert.equal(page.status, 200);
    const input = [{ type: 'item_reference', id: `msg_in_${id}` }];
    assert.equal((await call(bob, 'POST', '/responses', { model: 'gpt-4o', input })).status, 404);
    assert.equal((await call(alice, 'POST', '/responses', { model: 'gpt-4o', input })).status, 200);
    // Bob cannot read her page to learn them either.
    assert.equal((await call(bob, 'GET', `/responses/${id}/input_items`)).status, 404);
  });
});

describe('granting routes', () => {
  it('the admin API takes "routes" and refuses a scope it does not know', async () => {
    const response = await fetch(`${sluice.url}/api/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'carol', routes: ['files'] }),
    });
    assert.equal(response.status, 201);
    const key = (await response.json()) as { key: string; routes: string[] };
    assert.deepEqual(key.routes, ['files']);
    assert.equal((await call(key.key, 'GET', '/files')).status, 200);
    const bad = await fetch(`${sluice.url}/api/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'carol', routes: ['files', 'everything'] }),
    });
    assert.equal(bad.status, 400);
    assert.equal(codeOf((await bad.json()) as Record<string, unknown>), 'invalid_field');
  });
});
