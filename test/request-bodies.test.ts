/**
 * A limited key's model and budget hold whatever the body claims to be. On the first round's
 * main, a key limited to `gpt-4o-mini` with a cost budget called `gpt-4o` as often as it liked,
 * uncharged, by sending its JSON with no `Content-Type` (or `text/plain`): the gateway streamed
 * a non-JSON body through unread, so the model was unknown, the allow-list skipped and the
 * record had no model and no cost. Multipart routes (transcriptions, image edits) had the same
 * hole, and a JSON body with two `"model"` keys could mean one model to Sluice and another to
 * the provider.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import {
  type FakeUpstream,
  jsonReply,
  sseHead,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { claudeMessage } from './support/chat-fixtures.ts';
import { keyFor, sluiceFor, type TestSluice } from './support/sluice.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;
/** Limited to gpt-4o-mini and a cost budget. */
let limited: string;
/** Limited only by a cost budget. */
let budgeted: string;

const COMPLETION = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1000, completion_tokens: 1000, total_tokens: 2000 },
};

before(async () => {
  upstream = await startFakeUpstream();
  sluice = await sluiceFor(upstream.origin);
  limited = await keyFor(sluice, 'mallory', {
    models: ['gpt-4o-mini'],
    keyLimits: { budgetCost: 0.05 },
  });
  budgeted = await keyFor(sluice, 'bob', { keyLimits: { budgetCost: 5 } });
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
});
beforeEach(() => {
  upstream.script(jsonReply(200, COMPLETION));
});

/** A POST whose body is bytes, so fetch adds no Content-Type of its own. */
async function post(
  path: string,
  key: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${sluice.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...headers },
    body: new Uint8Array(typeof body === 'string' ? Buffer.from(body) : body),
  });
  const text = await response.text();
  return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
}

const errorCode = (json: Record<string, unknown>) => (json.error as { code?: string }).code;

async function lastRecord() {
  await sluice.running.settled();
  const [record] = await sluice.running.store.listUsage({ limit: 1 });
  assert.ok(record);
  return record;
}

const chat = (model: string) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] });

describe('JSON routes read the body as JSON whatever Content-Type claims', () => {
  for (const [label, headers] of [
    ['no Content-Type', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['x-www-form-urlencoded (curl -d)', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['application/octet-stream', { 'content-type': 'application/octet-stream' }],
  ] as const) {
    it(`${label}: a model outside the key's list is refused, nothing goes upstream`, async () => {
      const calls = upstream.calls.length;
      const { status, json } = await post('/chat/completions', limited, chat('gpt-4o'), headers);
      assert.equal(status, 403);
      assert.equal(errorCode(json), 'model_not_allowed');
      assert.equal(upstream.calls.length, calls);
      const record = await lastRecord();
      assert.equal(record.model, 'gpt-4o');
      assert.equal(record.endReason, 'rejected');
    });
  }

  it('a budget-limited key is charged for a body sent without Content-Type', async () => {
    const { status } = await post('/chat/completions', budgeted, chat('gpt-4o'));
    assert.equal(status, 200);
    const record = await lastRecord();
    assert.equal(record.model, 'gpt-4o');
    assert.equal(record.promptTokens, 1000);
    // gpt-4o: $2.50 / M input, $10 / M output.
    assert.equal(record.cost, 0.0125);
    const call = upstream.calls.at(-1);
    assert.equal(call?.headers['content-type'], 'application/json', 'sent upstream as JSON');
  });

  it('every priced route is charged: embeddings by their prompt tokens, images by theirs', async () => {
    upstream.script(
      jsonReply(200, {
        object: 'list',
        data: [],
        usage: { prompt_tokens: 1_000_000, total_tokens: 1_000_000 },
      }),
    );
    const embedding = await post(
      '/embeddings',
      budgeted,
      JSON.stringify({ model: 'text-embedding-3-small', input: 'x' }),
    );
    assert.equal(embedding.status, 200);
    const charged = await lastRecord();
    assert.equal(charged.model, 'text-embedding-3-small');
    assert.equal(charged.cost, 0.02);
    upstream.script(
      jsonReply(200, {
        created: 1,
        data: [],
        usage: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210 },
      }),
    );
    const image = await post(
      '/images/generations',
      budgeted,
      JSON.stringify({ model: 'gpt-image-1', prompt: 'x' }),
    );
    assert.equal(image.status, 200);
    const drawn = await lastRecord();
    assert.equal(drawn.promptTokens, 50);
    assert.equal(drawn.completionTokens, 4160);
    assert.equal(drawn.usageSource, 'upstream');
    // gpt-image-1: $5 / M input, $40 / M output (the image's own tokens).
    assert.equal(drawn.cost, 0.16665);
    // An edit: of 1050 input tokens 1000 are the input image, at $10 / M rather than $5.
    upstream.script(
      jsonReply(200, {
        created: 1,
        data: [],
        usage: {
          input_tokens: 1050,
          input_tokens_details: { text_tokens: 50, image_tokens: 1000 },
          output_tokens: 4160,
          total_tokens: 5210,
        },
      }),
    );
    const boundary = 'b0undary';
    const edit = await post(
      '/images/edits',
      budgeted,
      [
        `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-image-1\r\n`,
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nxyz\r\n`,
        `--${boundary}--\r\n`,
      ].join(''),
      { 'content-type': `multipart/form-data; boundary=${boundary}` },
    );
    assert.equal(edit.status, 200);
    const edited = await lastRecord();
    assert.equal(edited.promptTokens, 1050);
    assert.ok(Math.abs((edited.cost ?? 0) - 0.17665) < 1e-12, String(edited.cost));
  });

  it('every priced route is charged: /v1/responses by its Responses usage object', async () => {
    upstream.script(
      jsonReply(200, {
        id: 'resp_1',
        object: 'response',
        status: 'completed',
        model: 'gpt-4o',
        output: [],
        usage: {
          input_tokens: 2000,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 500,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 2500,
        },
      }),
    );
    const { status } = await post(
      '/responses',
      budgeted,
      JSON.stringify({ model: 'gpt-4o', input: 'hello' }),
    );
    assert.equal(status, 200);
    const record = await lastRecord();
    assert.equal(record.model, 'gpt-4o');
    assert.equal(record.promptTokens, 2000);
    assert.equal(record.completionTokens, 500);
    assert.equal(record.usageSource, 'upstream');
    // gpt-4o: $2.50 / M input, $10 / M output.
    assert.equal(record.cost, 0.01);
  });

  it('every priced route is charged: /v1/completions by its prompt and completion tokens', async () => {
    upstream.script(
      jsonReply(200, {
        id: 'cmpl-1',
        object: 'text_completion',
        model: 'gpt-4o-mini',
        choices: [{ index: 0, text: 'hi', finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 4000, completion_tokens: 1000, total_tokens: 5000 },
      }),
    );
    const { status } = await post(
      '/completions',
      budgeted,
      JSON.stringify({ model: 'gpt-4o-mini', prompt: 'hello' }),
    );
    assert.equal(status, 200);
    const record = await lastRecord();
    assert.equal(record.model, 'gpt-4o-mini');
    assert.equal(record.promptTokens, 4000);
    assert.equal(record.completionTokens, 1000);
    assert.equal(record.usageSource, 'upstream');
    // gpt-4o-mini: $0.15 / M input, $0.60 / M output.
    assert.equal(record.cost, 0.0012);
  });

  it('every priced route is charged: /v1/messages by its Anthropic usage', async () => {
    upstream.script(
      jsonReply(200, claudeMessage('hi', { input_tokens: 1000, output_tokens: 200 })),
    );
    const { status } = await post(
      '/messages',
      budgeted,
      JSON.stringify({
        model: 'claude-sonnet-4-5',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'hello' }],
      }),
      { 'anthropic-version': '2023-06-01' },
    );
    assert.equal(status, 200);
    const record = await lastRecord();
    assert.equal(record.model, 'claude-sonnet-4-5');
    assert.equal(record.promptTokens, 1000);
    assert.equal(record.completionTokens, 200);
    assert.equal(record.usageSource, 'upstream');
    // claude-sonnet-4*: $3 / M input, $15 / M output.
    assert.equal(record.cost, 0.006);
  });

  it('every priced route is charged: /v1/audio/transcriptions (multipart) by its input/output tokens', async () => {
    upstream.script(
      jsonReply(200, {
        text: 'hello',
        usage: {
          type: 'tokens',
          input_tokens: 400,
          input_token_details: { audio_tokens: 400, text_tokens: 0 },
          output_tokens: 100,
          total_tokens: 500,
        },
      }),
    );
    const boundary = 'b0undary';
    const form = [
      `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-4o-transcribe\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\nContent-Type: audio/mpeg\r\n\r\nxyz\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const { status } = await post('/audio/transcriptions', budgeted, form, {
      'content-type': `multipart/form-data; boundary=${boundary}`,
    });
    assert.equal(status, 200);
    const record = await lastRecord();
    assert.equal(record.model, 'gpt-4o-transcribe');
    assert.equal(record.promptTokens, 400);
    assert.equal(record.completionTokens, 100);
    assert.equal(record.usageSource, 'upstream');
    // gpt-4o-transcribe has a row of its own (audio input): $6 / M input, $10 / M output.
    assert.equal(record.cost, 0.0034);
  });

  it('every priced route is charged: whisper-1 by the minutes of audio it reports', async () => {
    upstream.script(jsonReply(200, { text: 'hello', usage: { type: 'duration', seconds: 90 } }));
    const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: budgeted, maxRetries: 0 });
    await openai.audio.transcriptions.create({
      file: await toFile(Buffer.alloc(1000, 1), 'a.mp3', { type: 'audio/mpeg' }),
      model: 'whisper-1',
    });
    const record = await lastRecord();
    assert.equal(record.model, 'whisper-1');
    assert.equal(record.usageSource, 'upstream');
    // $0.006 per minute: 1.5 minutes.
    assert.ok(Math.abs((record.cost ?? 0) - 0.009) < 1e-12, String(record.cost));
  });

  it('every priced route is charged: a streamed transcription by the usage in its last event', async () => {
    const usage = {
      type: 'tokens',
      input_tokens: 400,
      input_token_details: { audio_tokens: 400, text_tokens: 0 },
      output_tokens: 100,
      total_tokens: 500,
    };
    upstream.script(({ res }) => {
      sseHead(res);
      res.write(`data: ${JSON.stringify({ type: 'transcript.text.delta', delta: 'hel' })}\n\n`);
      res.write(`data: ${JSON.stringify({ type: 'transcript.text.delta', delta: 'lo' })}\n\n`);
      res.end(
        `data: ${JSON.stringify({ type: 'transcript.text.done', text: 'hello', usage })}\n\n`,
      );
    });
    const openai = new OpenAI({ baseURL: sluice.baseURL, apiKey: budgeted, maxRetries: 0 });
    const stream = await openai.audio.transcriptions.create({
      file: await toFile(Buffer.alloc(1000, 1), 'a.mp3', { type: 'audio/mpeg' }),
      model: 'gpt-4o-transcribe',
      stream: true,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.deepEqual(types, [
      'transcript.text.delta',
      'transcript.text.delta',
      'transcript.text.done',
    ]);
    const record = await lastRecord();
    assert.equal(record.usageSource, 'upstream');
    assert.equal(record.promptTokens, 400);
    assert.equal(record.completionTokens, 100);
    assert.ok(Math.abs((record.cost ?? 0) - 0.0034) < 1e-12, String(record.cost));
  });

  it('every priced route is charged: /v1/audio/speech by the characters of its input', async () => {
    upstream.script((call) => {
      call.res.writeHead(200, { 'content-type': 'audio/mpeg' });
      call.res.end(Buffer.alloc(5000, 9));
    });
    const input = 'é'.repeat(10_000);
    // Sent without Content-Type: read as JSON all the same, and charged.
    const response = await fetch(`${sluice.baseURL}/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${budgeted}` },
      body: new Uint8Array(
        Buffer.from(JSON.stringify({ model: 'tts-1-hd', voice: 'alloy', input })),
      ),
    });
    assert.equal(response.status, 200);
    assert.equal((await response.arrayBuffer()).byteLength, 5000);
    const record = await lastRecord();
    assert.equal(record.model, 'tts-1-hd');
    // $30 per million characters (not bytes: é is two).
    assert.ok(Math.abs((record.cost ?? 0) - 0.3) < 1e-12, String(record.cost));
  });

  it('moderations are priced (free): the record says $0, not "no price"', async () => {
    upstream.script(
      jsonReply(200, {
        id: 'modr-1',
        model: 'omni-moderation-latest',
        results: [{ flagged: false }],
      }),
    );
    const { status } = await post(
      '/moderations',
      budgeted,
      JSON.stringify({ model: 'omni-moderation-latest', input: 'hello' }),
    );
    assert.equal(status, 200);
    assert.equal((await lastRecord()).cost, 0);
  });

  it('a key limited to models or a budget must name the model: 400 model_required', async () => {
    const calls = upstream.calls.length;
    const { status, json } = await post(
      '/chat/completions',
      budgeted,
      JSON.stringify({ messages: [] }),
    );
    assert.equal(status, 400);
    assert.equal(errorCode(json), 'model_required');
    assert.equal(upstream.calls.length, calls);
  });

  it('two "model" keys mean one model: the one Sluice read is the one the provider gets', async () => {
    const body = '{"model":"gpt-4o","messages":[],"model":"gpt-4o-mini"}';
    const { status } = await post('/chat/completions', limited, body, {
      'content-type': 'application/json',
    });
    assert.equal(status, 200);
    const sent = upstream.calls.at(-1);
    assert.ok(sent);
    assert.equal(sent.json?.model, 'gpt-4o-mini');
    assert.equal(sent.body.toString().match(/"model"/g)?.length, 1);
  });

  it('a model name with a lone surrogate: 400 on model, nothing sent, and the key’s stream slot free again', async () => {
    // No URL carries it (an Azure deployment, a Bedrock model): it threw past the record, which
    // stayed incomplete and kept the key's one stream slot for good.
    const one = await keyFor(sluice, 'lone', { keyLimits: { maxStreams: 1 } });
    const before = upstream.calls.length;
    const body = '{"model":"gpt-4o\\ud800","messages":[{"role":"user","content":"hi"}]}';
    for (let i = 0; i < 2; i++) {
      const { status, json } = await post('/chat/completions', one, body, {
        'content-type': 'application/json',
      });
      assert.equal(status, 400, JSON.stringify(json));
      assert.equal((json.error as { param?: string }).param, 'model');
    }
    assert.equal(upstream.calls.length, before);
    assert.equal((await post('/chat/completions', one, chat('gpt-4o'))).status, 200);
  });

  it('a model name longer than any model has: 400 on model, in a body or a form, nothing sent', async () => {
    // A 20 MB name was relayed, recorded whole and made /metrics 420 MB.
    const before = upstream.calls.length;
    const long = 'm'.repeat(257);
    const json = await post('/chat/completions', budgeted, chat(long));
    assert.equal(json.status, 400);
    assert.equal((json.json.error as { param?: string }).param, 'model');
    const boundary = 'b0undary';
    const form = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${long}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\nxyz\r\n--${boundary}--\r\n`;
    const multipart = await post('/audio/transcriptions', budgeted, form, {
      'content-type': `multipart/form-data; boundary=${boundary}`,
    });
    assert.equal(multipart.status, 400);
    assert.equal((multipart.json.error as { param?: string }).param, 'model');
    assert.equal(upstream.calls.length, before);
    const record = await lastRecord();
    assert.deepEqual([record.status, record.model], [400, null]);
    // (A key without a cost budget: a made-up model has no price.)
    const plain = await keyFor(sluice, 'carl');
    const longest = await post('/chat/completions', plain, chat('m'.repeat(256)));
    assert.equal(longest.status, 200, 'a name of 256 characters is taken');
  });

  it('a 64-bit integer reaches the provider as the client wrote it, not rounded to a double', async () => {
    // Sluice writes every JSON body again: 18446744073709551615 went as 18446744073709552000.
    const body = `{"model":"gpt-4o","messages":[],"seed":18446744073709551615,"n":1}`;
    const { status } = await post('/chat/completions', budgeted, body);
    assert.equal(status, 200);
    assert.match(upstream.calls.at(-1)?.body.toString() ?? '', /"seed":18446744073709551615[,}]/);
  });

  it('a number beyond a double reaches the provider as written, not as null', async () => {
    // JSON.parse reads 1e309 as Infinity, which JSON.stringify writes as null: the provider saw
    // "temperature not set" where the client sent a value it would refuse.
    const body = `{"model":"gpt-4o","messages":[],"temperature":1e309}`;
    const { status } = await post('/chat/completions', budgeted, body);
    assert.equal(status, 200);
    assert.match(upstream.calls.at(-1)?.body.toString() ?? '', /"temperature":1e309[,}]/);
  });

  it('a body that is not JSON: 400 invalid_json; multipart on a JSON route: 415', async () => {
    const bad = await post('/chat/completions', budgeted, 'model=gpt-4o');
    assert.equal(bad.status, 400);
    assert.equal(errorCode(bad.json), 'invalid_json');
    const form = await post('/embeddings', budgeted, '--x\r\n', {
      'content-type': 'multipart/form-data; boundary=x',
    });
    assert.equal(form.status, 415);
    assert.equal(errorCode(form.json), 'unsupported_media_type');
  });
});

describe('a body nested deeper than any API request', () => {
  /** `{"x": {"x": … 1 …}}`, `depth` objects deep, inside a chat request. */
  const nested = (depth: number) => '{"x":'.repeat(depth) + '1' + '}'.repeat(depth);
  const body = (depth: number, extra = '') =>
    `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"metadata_x":${nested(depth)}${extra}}`;

  it('is a 400 invalid_json in the client’s dialect, recorded, nothing sent (it was a 500)', async () => {
    const before = upstream.calls.length;
    for (const [path, extra] of [
      ['/chat/completions', ''],
      ['/chat/completions', ',"stream":true'],
      ['/embeddings', ''],
    ] as const) {
      const refused = await post(path, budgeted, body(100_000, extra));
      assert.equal(refused.status, 400, path);
      assert.equal(errorCode(refused.json), 'invalid_json', path);
      assert.match((refused.json.error as { message: string }).message, /deeper than 256/);
      const record = await lastRecord();
      assert.deepEqual([record.endpoint, record.status], [`/v1${path}`, 400]);
    }
    const messages = await post(
      '/messages',
      budgeted,
      `{"model":"claude-x","max_tokens":5,"messages":[],"x":${nested(5000)}}`,
    );
    assert.equal(messages.status, 400);
    assert.equal(messages.json.type, 'error', 'Anthropic’s shape');
    assert.equal(upstream.calls.length, before);
  });

  it('at the limit goes through whole', async () => {
    // 255 objects in a field of the body, which is the 256th level.
    const within = await post('/chat/completions', budgeted, body(255));
    assert.equal(within.status, 200);
    assert.equal(upstream.calls.at(-1)?.body.toString(), body(255));
    const over = await post('/chat/completions', budgeted, body(256));
    assert.equal(over.status, 400);
  });
});

describe('multipart routes read the model from the form as it streams', () => {
  const openaiFor = (key: string) =>
    new OpenAI({ baseURL: sluice.baseURL, apiKey: key, maxRetries: 0 });

  it('the official client (file first, model after it): a model outside the list is refused', async () => {
    const calls = upstream.calls.length;
    await assert.rejects(
      openaiFor(limited).audio.transcriptions.create({
        file: await toFile(Buffer.alloc(200_000, 1), 'speech.mp3', { type: 'audio/mpeg' }),
        model: 'gpt-4o-transcribe',
      }),
      (error: unknown) => error instanceof OpenAI.PermissionDeniedError,
    );
    assert.equal(upstream.calls.length, calls);
    assert.equal((await lastRecord()).model, 'gpt-4o-transcribe');
  });

  it('an allowed model goes through, the form rebuilt with every field and the whole file', async () => {
    upstream.script(jsonReply(200, { text: 'hello' }));
    const audio = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const result = await openaiFor(limited).audio.transcriptions.create({
      file: await toFile(audio, 'speech.mp3', { type: 'audio/mpeg' }),
      model: 'gpt-4o-mini',
      language: 'en',
    });
    assert.equal(result.text, 'hello');
    const call = upstream.calls.at(-1);
    assert.ok(call);
    const type = call.headers['content-type'] ?? '';
    assert.match(type, /^multipart\/form-data; boundary=sluice-/);
    const boundary = type.split('boundary=')[1] ?? '';
    const parts = call.body.toString('latin1').split(`--${boundary}`);
    const field = (name: string) =>
      parts
        .find((p) => p.includes(`name="${name}"`))
        ?.split('\r\n\r\n')[1]
        ?.replace(/\r\n$/, '');
    assert.equal(field('model'), 'gpt-4o-mini');
    assert.equal(field('language'), 'en');
    assert.deepEqual(Buffer.from(field('file') ?? '', 'latin1'), audio);
    assert.match(parts.find((p) => p.includes('name="file"')) ?? '', /filename="speech.mp3"/);
  });

  it('a second "model" field: 400, nothing reaches the provider whole', async () => {
    const boundary = 'b0undary';
    const form = [
      `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-4o-mini\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\nContent-Type: audio/mpeg\r\n\r\nxyz\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const { status, json } = await post('/audio/transcriptions', limited, form, {
      'content-type': `multipart/form-data; boundary=${boundary}`,
    });
    assert.equal(status, 400);
    assert.equal(errorCode(json), 'invalid_field');
  });

  it('a form that ends inside its file part (no closing boundary): 400, recorded, the process stays up', async () => {
    const boundary = 'b0undary';
    const model = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n`;
    const file = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nxx`;
    // The model first (held until known), and the file first (sent as it comes, where the
    // upstream does not depend on the model): an unheard error on the file part ended Sluice.
    for (const [path, form] of [
      ['/audio/transcriptions', model + file],
      ['/audio/translations', file],
      ['/images/variations', model + file],
    ] as const) {
      const calls = upstream.calls.length;
      const { status, json } = await post(path, budgeted, form, {
        'content-type': `multipart/form-data; boundary=${boundary}`,
      });
      assert.equal(status, 400, `${path}: ${JSON.stringify(json)}`);
      assert.match((json.error as { message: string }).message, /malformed/);
      assert.equal(upstream.calls.length, calls, 'nothing reached the provider whole');
      assert.equal((await lastRecord()).status, 400);
    }
  });

  it('a form without a model from a limited key: 400 model_required; JSON on a form route: 415', async () => {
    const boundary = 'b0undary';
    const form = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n\r\nxyz\r\n--${boundary}--\r\n`;
    const noModel = await post('/audio/transcriptions', limited, form, {
      'content-type': `multipart/form-data; boundary=${boundary}`,
    });
    assert.equal(noModel.status, 400);
    assert.equal(errorCode(noModel.json), 'model_required');
    const json = await post('/audio/transcriptions', limited, chat('whisper-1'), {
      'content-type': 'application/json',
    });
    assert.equal(json.status, 415);
  });

  it('an image edit as JSON (images named by file_id or URL) is read, checked and charged as JSON', async () => {
    const usage = { input_tokens: 1050, output_tokens: 4160, total_tokens: 5210 };
    upstream.script(jsonReply(200, { created: 1, data: [], usage }));
    const edit = {
      model: 'gpt-image-1',
      prompt: 'make it blue',
      images: [{ image_url: 'https://example.com/a.png' }],
    };
    const before = upstream.calls.length;
    const served = await post('/images/edits', budgeted, JSON.stringify(edit), {
      'content-type': 'application/json',
    });
    assert.equal(served.status, 200);
    assert.deepEqual(upstream.calls.at(-1)?.json, edit);
    assert.equal(upstream.calls.at(-1)?.headers['content-type'], 'application/json');
    const record = await lastRecord();
    assert.equal(record.endpoint, '/v1/images/edits');
    assert.equal(record.promptTokens, 1050);
    assert.ok((record.cost ?? 0) > 0);
    // The model list and the objects a user may name hold as for any JSON body.
    const outside = await post('/images/edits', limited, JSON.stringify(edit), {
      'content-type': 'application/json',
    });
    assert.equal(outside.status, 403);
    assert.equal(errorCode(outside.json), 'model_not_allowed');
    const foreign = await post(
      '/images/edits',
      budgeted,
      JSON.stringify({ ...edit, images: [{ file_id: 'file-not-hers' }] }),
      { 'content-type': 'application/json' },
    );
    assert.equal(foreign.status, 404);
    assert.equal(errorCode(foreign.json), 'object_not_found');
    assert.equal(upstream.calls.length, before + 1, 'only the first went upstream');
  });
});
