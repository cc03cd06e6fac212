/**
 * Talking to a Sluice of several workers (`--workers`) as a load balancer would: every request
 * on a connection of its own, so the primary hands each to the next worker in turn, and the
 * worker that answered named by the instance part of `x-sluice-request-id` (`req_<instance>…`).
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { ADMIN_KEY } from './sluice.ts';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The instance (worker) that answered, from its request id; '' if none. */
  readonly instance: string;
}

export interface SendOptions {
  readonly method?: string;
  readonly body?: unknown;
  /** `Authorization: Bearer …`; the admin key by default. */
  readonly key?: string;
  readonly headers?: Record<string, string>;
}

/** The 12 hex digits of the instance in `req_<instance><sequence>`. */
export function instanceOf(requestId: string | string[] | undefined): string {
  return typeof requestId === 'string' ? requestId.slice(4, 16) : '';
}

/** One request, on a new connection that closes after it. */
export function send(base: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, base),
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        agent: false,
        headers: {
          authorization: `Bearer ${options.key ?? ADMIN_KEY}`,
          connection: 'close',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            instance: instanceOf(res.headers['x-sluice-request-id']),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Calls `ask` until `workers` different instances have answered (bounded); returns every answer. */
export async function onEveryWorker(
  ask: () => Promise<Answer>,
  workers = 2,
  tries = 4 * workers,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  while (new Set(answers.map((a) => a.instance)).size < workers) {
    if (answers.length >= tries)
      throw new Error(
        `${tries} requests reached only ${new Set(answers.map((a) => a.instance)).size} workers`,
      );
    answers.push(await ask());
  }
  return answers;
}

export interface OpenStream {
  readonly instance: string;
  readonly requestId: string;
  /** What arrived so far. */
  text(): string;
  /** Resolves with the whole body once the response ends, or is cut (then `cut` is true). */
  readonly ended: Promise<{ readonly text: string; readonly cut: boolean }>;
}

/** A streaming chat request on a connection of its own; resolves once its first event is in. */
export function openStream(base: string, body: unknown): Promise<OpenStream> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/v1/chat/completions', base),
      {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          'content-type': 'application/json',
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`stream answered ${String(res.statusCode)}`));
          res.resume();
          return;
        }
        const requestId = String(res.headers['x-sluice-request-id']);
        let text = '';
        let first = true;
        let settle: (how: { text: string; cut: boolean }) => void = () => undefined;
        const ended = new Promise<{ text: string; cut: boolean }>((done) => (settle = done));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (first && text.includes('\n\n')) {
            first = false;
            resolve({ instance: instanceOf(requestId), requestId, text: () => text, ended });
          }
        });
        res.on('end', () => {
          settle({ text, cut: false });
        });
        res.on('error', () => {
          settle({ text, cut: true });
        });
        res.on('close', () => {
          settle({ text, cut: !res.complete });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Opens streams until `workers` different instances hold one (bounded); returns them all. */
export async function streamsOnEveryWorker(
  base: string,
  body: unknown,
  workers = 2,
  tries = 4 * workers,
): Promise<OpenStream[]> {
  const streams: OpenStream[] = [];
  while (new Set(streams.map((s) => s.instance)).size < workers) {
    if (streams.length >= tries) throw new Error(`${tries} streams reached only one worker`);
    streams.push(await openStream(base, body));
  }
  return streams;
}

/** The pid of the worker serving `instance`, from its "worker listening" log line. */
export function workerPid(log: string, instance: string): number {
  const line = log
    .split('\n')
    .find((l) => l.includes('"msg":"worker listening"') && l.includes(`"instance":"${instance}"`));
  const pid = /"pid":(\d+)/.exec(line ?? '')?.[1];
  if (pid === undefined) throw new Error(`no worker listening as ${instance} in the log:\n${log}`);
  return Number(pid);
}

/** A series of a Prometheus exposition, by name and a label set it must include. */
export function series(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const set = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`)))
      values.push(Number(match[3]));
  }
  return values;
}
