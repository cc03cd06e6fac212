/**
 * A fake Amazon Bedrock runtime for one Claude model: it checks each request's SigV4 signature
 * (the signer is checked against AWS's published vectors in `sigv4.test.ts`) and streams a
 * recorded Anthropic stream in Bedrock's binary frames, cut at odd places.
 */
import type { ServerResponse } from 'node:http';
import { signV4 } from '../../src/upstream/sigv4.ts';
import { claudeMessage, fixturePayloads } from './chat-fixtures.ts';
import { encodeEventMessage } from './event-stream.ts';
import { type FakeUpstream, type UpstreamCall, startFakeUpstream } from './fake-upstream.ts';

export const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
export const FIXTURE = 'anthropic-messages/anthropic-text.chunks.txt';
export const REGION = 'us-east-1';
/** A model Bedrock serves through Converse. */
export const CONVERSE_MODEL = 'us.meta.llama3-3-70b-instruct-v1:0';
/** What the Converse stream below says, and the usage it reports. */
export const CONVERSE_TEXT = 'Hello from Llama, in pieces.';
export const CONVERSE_USAGE = { inputTokens: 21, outputTokens: 17, totalTokens: 38 };
export const CONVERSE_TOOL = { name: 'get_weather', input: { city: 'Paris' } };
export const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

export function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The keys a fake Bedrock accepts: the example keys by default. */
export interface AcceptedKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const EXAMPLE_KEYS: AcceptedKeys = {
  accessKeyId: CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: CREDENTIALS.AWS_SECRET_ACCESS_KEY,
};

/** Whether `call` carries the signature AWS would compute with `keys`. */
function signedBy(call: UpstreamCall, keys: AcceptedKeys): boolean {
  const date = call.headers['x-amz-date'];
  if (typeof date !== 'string') return false;
  const at = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const expected = signV4(
    {
      method: call.method,
      url: new URL(call.path, `https://${String(call.headers.host)}`),
      headers: { 'content-type': String(call.headers['content-type']) },
      body: call.body,
    },
    keys,
    REGION,
    'bedrock',
    at,
  );
  return call.headers.authorization === expected.authorization;
}

/** The recorded stream as Bedrock frames it; `throttleAfter` events, an exception instead. */
function frames(throttleAfter?: number): Buffer {
  const events = fixturePayloads(FIXTURE).map((event) =>
    encodeEventMessage(
      { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
      Buffer.from(
        JSON.stringify({ bytes: Buffer.from(JSON.stringify(event)).toString('base64'), p: 'abcd' }),
      ),
    ),
  );
  if (throttleAfter === undefined) return Buffer.concat(events);
  const exception = encodeEventMessage(
    {
      ':message-type': 'exception',
      ':exception-type': 'throttlingException',
      ':content-type': 'application/json',
    },
    Buffer.from(JSON.stringify({ message: 'Too many tokens, please wait before trying again.' })),
  );
  return Buffer.concat([...events.slice(0, throttleAfter), exception]);
}

/** Converse's events as Bedrock streams them: text, then a tool call when the request has tools. */
function converseFrames(withTool: boolean, failAfter?: number): Buffer {
  const event = (type: string, payload: object) =>
    encodeEventMessage(
      { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
      Buffer.from(JSON.stringify({ ...payload, p: 'abcdefgh' })),
    );
  const pieces = CONVERSE_TEXT.match(/.{1,5}/g) ?? [];
  const events = [
    event('messageStart', { role: 'assistant' }),
    ...pieces.map((text) => event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })),
    event('contentBlockStop', { contentBlockIndex: 0 }),
    ...(withTool
      ? [
          event('contentBlockStart', {
            contentBlockIndex: 1,
            start: { toolUse: { toolUseId: 'tooluse_abc', name: CONVERSE_TOOL.name } },
          }),
          event('contentBlockDelta', {
            contentBlockIndex: 1,
            delta: { toolUse: { input: '{"city":' } },
          }),
          event('contentBlockDelta', {
            contentBlockIndex: 1,
            delta: { toolUse: { input: '"Paris"}' } },
          }),
          event('contentBlockStop', { contentBlockIndex: 1 }),
        ]
      : []),
    event('messageStop', { stopReason: withTool ? 'tool_use' : 'end_turn' }),
    event('metadata', { usage: CONVERSE_USAGE, metrics: { latencyMs: 120 } }),
  ];
  if (failAfter === undefined) return Buffer.concat(events);
  const exception = encodeEventMessage(
    {
      ':message-type': 'exception',
      ':exception-type': 'modelStreamErrorException',
      ':content-type': 'application/json',
    },
    Buffer.from(JSON.stringify({ message: 'The model stream broke off.' })),
  );
  return Buffer.concat([...events.slice(0, failAfter), exception]);
}

/** A Bedrock API key: sent as a bearer token, with no signature. */
export interface AcceptedBearer {
  readonly bearer: string;
}

/**
 * Bedrock's runtime API for one Claude model (`invoke`) and one other (`converse`), answering
 * requests signed with `keys` only.
 */
export async function fakeBedrock(
  keys: AcceptedKeys | AcceptedBearer = EXAMPLE_KEYS,
): Promise<FakeUpstream> {
  const base = `/model/${encodeURIComponent(MODEL)}`;
  const converse = `/model/${encodeURIComponent(CONVERSE_MODEL)}`;
  return startFakeUpstream(async (call) => {
    const accepted =
      'bearer' in keys
        ? call.headers.authorization === `Bearer ${keys.bearer}` &&
          call.headers['x-amz-date'] === undefined
        : signedBy(call, keys);
    if (!accepted) {
      reply(call.res, 403, {
        message: 'The request signature we calculated does not match the signature you provided.',
      });
    } else if (call.path === `${base}/invoke-with-response-stream`) {
      call.res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      const wire = frames(call.json?.['max_tokens'] === 13 ? 3 : undefined);
      // Cut at odd places, as TCP may: a frame's bytes in several reads.
      for (let at = 0; at < wire.length; at += 97) {
        call.res.write(wire.subarray(at, at + 97));
        await new Promise((resolve) => setImmediate(resolve));
      }
      call.res.end();
    } else if (
      call.path.startsWith(`${converse}/converse`) &&
      (call.json?.['inferenceConfig'] as { maxTokens?: number } | undefined)?.maxTokens === 15
    ) {
      // maxTokens 15: refused as Bedrock refuses, its account in an ARN.
      call.res.setHeader('x-amzn-errortype', 'ValidationException:http://internal.amazon.com/');
      reply(call.res, 400, {
        message:
          'The provided model identifier is invalid for arn:aws:bedrock:us-east-1:123456789012:inference-profile/secret-profile.',
      });
    } else if (call.path === `${converse}/converse-stream`) {
      call.res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
      const inference = call.json?.['inferenceConfig'] as { maxTokens?: number } | undefined;
      const whole = converseFrames(
        call.json?.['toolConfig'] !== undefined,
        inference?.maxTokens === 13 ? 4 : undefined,
      );
      // maxTokens 14: the last frame (metadata, with the usage) cut short, the body ended cleanly.
      const wire = inference?.maxTokens === 14 ? whole.subarray(0, whole.length - 10) : whole;
      for (let at = 0; at < wire.length; at += 61) {
        call.res.write(wire.subarray(at, at + 61));
        await new Promise((resolve) => setImmediate(resolve));
      }
      call.res.end();
    } else if (call.path === `${converse}/converse`) {
      const maxTokens = (call.json?.['inferenceConfig'] as { maxTokens?: number } | undefined)
        ?.maxTokens;
      // maxTokens 16: `null` for an answer; 17: one past 16 MiB.
      const answer =
        maxTokens === 16
          ? null
          : maxTokens === 17
            ? { output: { message: { content: [{ text: 'x'.repeat(17 << 20) }] } } }
            : {
                output: { message: { role: 'assistant', content: [{ text: CONVERSE_TEXT }] } },
                stopReason: 'end_turn',
                usage: CONVERSE_USAGE,
                metrics: { latencyMs: 90 },
              };
      reply(call.res, 200, answer);
    } else if (call.path === `${base}/invoke`) {
      reply(call.res, 200, claudeMessage('Hello!', { input_tokens: 12, output_tokens: 3 }));
    } else {
      reply(call.res, 404, { message: `UnknownOperationException: ${call.path}` });
    }
  });
}
