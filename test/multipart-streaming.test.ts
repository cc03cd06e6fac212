/**
 * A multipart upload streams to the provider even when its `model` comes last, as the official
 * Node client sends it (`{ file, model }`): before, the whole file waited in Sluice's memory
 * until the model field arrived. The client here sends the file part and then waits until the
 * upstream has received bytes of it before sending `model`, so a gateway that held the file
 * would never let the test go on. A model the key may not use, arriving after the file went,
 * ends the upload before the form's closing boundary: the provider never has a whole form.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { keyFor, sluiceFor, type TestSluice } from './support/sluice.ts';

const BOUNDARY = 'client-boundary';
const FILE = Buffer.alloc(400_000, 7);

interface Upload {
  /** Resolves once this many bytes of the upload reached the upstream. */
  readonly received: Promise<void>;
  /** The bytes, and whether the request ended (true) or broke off (false). */
  readonly done: Promise<{ body: Buffer; complete: boolean }>;
}

/** The upstream's next upload: resolved by its request handler when the request arrives. */
let nextUpload = Promise.withResolvers<Upload>();
let server: Server;
let sluice: TestSluice;
let limited: string;

before(async () => {
  server = createServer((req, res) => {
    nextUpload.resolve(watch(req));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"text":"hello"}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  sluice = await sluiceFor(`http://127.0.0.1:${String(port)}/v1`);
  limited = await keyFor(sluice, 'mallory', { models: ['gpt-4o-mini'] });
});
after(async () => {
  await sluice.stop();
  server.close();
});

function watch(req: IncomingMessage): Upload {
  const chunks: Buffer[] = [];
  let size = 0;
  let reached: () => void = () => undefined;
  const received = new Promise<void>((resolve) => (reached = resolve));
  const done = new Promise<{ body: Buffer; complete: boolean }>((resolve) => {
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= 100_000) reached();
    });
    req.on('end', () => {
      resolve({ body: Buffer.concat(chunks), complete: true });
    });
    req.on('close', () => {
      resolve({ body: Buffer.concat(chunks), complete: false });
    });
  });
  return { received, done };
}

/** The file part first; `model` and the end of the form only once `ready` resolves. */
async function uploadFileFirst(model: string, ready: () => Promise<void>) {
  const req = request(`${sluice.baseURL}/audio/transcriptions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${limited}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    },
  });
  const responded = once(req, 'response') as Promise<[IncomingMessage]>;
  req.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n` +
      'Content-Type: audio/mpeg\r\n\r\n',
  );
  req.write(FILE);
  await Promise.race([ready(), responded]);
  req.end(
    `\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}\r\n` +
      `--${BOUNDARY}--\r\n`,
  );
  const [res] = await responded;
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode, json: JSON.parse(text) as Record<string, unknown> };
}

/** Waits for the upload the upstream sees next; the next call waits for the one after. */
async function takeUpload(): Promise<Upload> {
  const upload = await nextUpload.promise;
  nextUpload = Promise.withResolvers<Upload>();
  return upload;
}

async function lastRecord() {
  await sluice.running.settled();
  const [record] = await sluice.running.store.listUsage({ limit: 1 });
  assert.ok(record);
  return record;
}

describe('a multipart upload whose model comes last', () => {
  it('reaches the provider before the model field is sent, and is charged to that model', async () => {
    let upload: Upload | undefined;
    const { status, json } = await uploadFileFirst('gpt-4o-mini', async () => {
      upload = await takeUpload();
      await upload.received;
    });
    assert.equal(status, 200, JSON.stringify(json));
    assert.ok(upload);
    const { body, complete } = await upload.done;
    assert.ok(complete);
    const form = body.toString('latin1');
    assert.match(form, /name="model"\r\n\r\ngpt-4o-mini\r\n/);
    assert.ok(form.trimEnd().endsWith('--'), 'the form has its closing boundary');
    const record = await lastRecord();
    assert.equal(record.model, 'gpt-4o-mini');
    assert.equal(record.status, 200);
  });

  it('a model the key may not use, after the file went: 403, the provider never gets a whole form', async () => {
    let upload: Upload | undefined;
    const { status, json } = await uploadFileFirst('gpt-4o', async () => {
      upload = await takeUpload();
      await upload.received;
    });
    assert.equal(status, 403);
    assert.equal((json.error as { code?: string }).code, 'model_not_allowed');
    assert.ok(upload);
    const { body, complete } = await upload.done;
    assert.equal(complete, false, 'the upload was broken off');
    assert.doesNotMatch(body.toString('latin1'), /gpt-4o/);
    const record = await lastRecord();
    assert.equal(record.model, 'gpt-4o');
    assert.equal(record.status, 403);
    assert.equal(record.endReason, 'rejected');
    // Nothing was learnt of the upstream: the next upload goes to it as before.
    const again = await uploadFileFirst('gpt-4o-mini', async () => {
      await (
        await takeUpload()
      ).received;
    });
    assert.equal(again.status, 200);
  });
});
