/**
 * `sluice-demo`: a loopback HTTP server that answers the way api.openai.com and
 * api.anthropic.com do, so the gateway forwards to it exactly as to a real provider and every
 * part of Sluice works before any key is configured. This file is routing and HTTP only; each
 * wire format renders itself in its own file.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicMessages } from './anthropic-messages.ts';
import { MODEL_ID, modelsAt } from './models.ts';
import { openaiChat } from './openai-chat.ts';
import { openaiResponses } from './openai-responses.ts';
import { type Pacing, playStream } from './pacing.ts';
import { isRecord } from './prompt.ts';
import type { DemoEndpoint } from './types.ts';

export interface DemoOptions {
  /** Time between tokens; 25 ms (about 40 tokens a second) unless set. */
  readonly tokenMs?: number;
  /** Time before the first token; 300 ms unless set. */
  readonly firstTokenMs?: number;
}

export interface DemoUpstream {
  /** `http://127.0.0.1:PORT`; the API lives under `/v1`. */
  readonly origin: string;
  /** Stops listening and hangs up on open connections, streams included. */
  close(): Promise<void>;
}

const endpoints: readonly DemoEndpoint[] = [openaiChat, openaiResponses, anthropicMessages];

export async function startDemoUpstream(options: DemoOptions = {}): Promise<DemoUpstream> {
  const pacing = resolvePacing(options);
  const server = createServer((req, res) => {
    handle(req, res, pacing).catch((error: unknown) => {
      fail(res, error);
    });
  });
  // Exclusive: in a worker of several (`--workers`) a listen would otherwise go through the
  // primary and be shared with the other workers' port-0 listeners, this process's own one.
  server.listen({ port: 0, host: '127.0.0.1', exclusive: true });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        // A stream runs for seconds; shutdown must not wait for it. Destroying the sockets
        // fires each response's 'close', which cancels its timers.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, pacing: Pacing): Promise<void> {
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').replace(/\?.*$/s, '');
  const listing = method === 'GET' ? modelsAt(path) : undefined;
  if (listing !== undefined) {
    sendJson(res, 200, listing);
    return;
  }
  const endpoint = method === 'POST' ? endpoints.find((e) => e.path === path) : undefined;
  if (endpoint === undefined) {
    req.resume();
    const message = `${MODEL_ID} does not support ${method} ${path}; configure an upstream (OPENAI_API_KEY / BASE_URL) for it.`;
    sendJson(res, 404, openaiError(message, 'unsupported_by_demo'));
    return;
  }

  const body = parseObject(await readBody(req));
  if (typeof body === 'string') {
    sendJson(res, 400, openaiError(body, 'invalid_json'));
    return;
  }
  const context = { id: randomUUID().replaceAll('-', ''), created: Math.floor(Date.now() / 1000) };
  const headers = { [endpoint.requestIdHeader]: `req_${context.id}` };
  const response = endpoint.respond(body, context);
  if (response.kind === 'json') sendJson(res, 200, response.body, headers);
  else await playStream(res, response.plan, pacing, headers);
}

/**
 * The whole body, unbounded: only the gateway talks to this server and it has already applied
 * its own request size limit.
 */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The parsed object, or a message saying why there is none. */
function parseObject(body: Buffer): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return `${MODEL_ID} could not parse the JSON body of the request: ${(error as Error).message}`;
  }
  return isRecord(value) ? value : 'The request body must be a JSON object.';
}

function fail(res: ServerResponse, error: unknown): void {
  // Mostly a client that went away mid-request: nobody is left to tell.
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const detail = error instanceof Error ? error.message : String(error);
  sendJson(
    res,
    500,
    openaiError(`${MODEL_ID} failed: ${detail}`, 'internal_error', 'server_error'),
  );
}

function openaiError(message: string, code: string, type = 'invalid_request_error'): object {
  return { error: { message, type, param: null, code } };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function resolvePacing({ tokenMs = 25, firstTokenMs = 300 }: DemoOptions): Pacing {
  for (const [name, value] of Object.entries({ tokenMs, firstTokenMs })) {
    if (!Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
      throw new RangeError(
        `DemoOptions.${name} must be a number of milliseconds from 0 to ${MAX_TIMER_MS}; got ${String(value)}.`,
      );
    }
  }
  return { tokenMs, firstTokenMs };
}
