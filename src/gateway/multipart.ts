/**
 * Multipart inference routes (audio transcriptions and translations, image edits and
 * variations): the `model` field is read from the upload as it streams, without buffering the
 * upload. The official Node client sends the file first and `model` after it; where the
 * upstream does not depend on the model (no upstream of the family filters, renames or routes
 * by it: `sendBeforeModel`) the form goes upstream from its first part, and the model is checked
 * when it comes — a refusal ends the upload before the form's closing boundary, so the provider
 * never has a whole form to act on. Otherwise the part that arrives before `model` waits until
 * Sluice knows where (and whether) it may go, bounded by `SLUICE_MAX_BODY` and charged to the
 * memory budget of bodies in flight; a stall is the body watchdog's, as for any reader.
 *
 * The body sent upstream is the form as busboy parsed it, written again with Sluice's own
 * boundary: the provider sees exactly the fields Sluice read, so a field a different parser
 * would read differently (a second `model`, an odd `Content-Disposition`) cannot reach it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import {
  ClientClosedError,
  InvalidFieldError,
  InvalidRequestError,
  PayloadTooLargeError,
  type SluiceError,
} from '../errors/index.ts';
import { readingBody, rejectDeclaredOverLimit, reserveBodyMemory } from '../http/index.ts';

export interface MultipartRequest {
  /** The rebuilt form, streamed: what was held first, then the rest as it arrives. */
  readonly body: Readable;
  readonly contentType: string;
  /** The form's model: `undefined` until read (or when the form has none). */
  readonly model: string | undefined;
}

export interface MultipartOptions {
  readonly limit: number;
  /** The name the upstream knows the model by (an alias resolved), for the rebuilt form. */
  readonly rename: (model: string) => string;
  /** May the caller use this model (`undefined`: the form named none)? Throws if not. */
  readonly checkModel: (model: string | undefined) => void;
  /** Every other field's name: throws to refuse the form. */
  readonly checkField?: (name: string) => void;
  /** Resolve at the first file part, before `model` is read: the upstream will not depend on it. */
  readonly sendBeforeModel: boolean;
}

/**
 * Resolves once `model` is known and allowed (or the form ended without one), or with
 * `sendBeforeModel` at the first file part already; the model is checked either way.
 */
export function readMultipart(
  req: IncomingMessage,
  options: MultipartOptions,
): Promise<MultipartRequest> {
  rejectDeclaredOverLimit(req, options.limit);
  return new Promise((resolve, reject) => {
    new MultipartReader(req, options, resolve, reject).start();
  });
}

const CRLF = '\r\n';

class MultipartReader {
  readonly #req: IncomingMessage;
  readonly #o: MultipartOptions;
  readonly #resolve: (request: MultipartRequest) => void;
  readonly #reject: (error: Error) => void;
  readonly #boundary = `sluice-${randomBytes(16).toString('hex')}`;
  readonly #out: Readable;
  /** What was rebuilt before `model` came, held until the upstream is chosen. */
  #held: Buffer[] | undefined = [];
  #size = 0;
  #model: string | undefined;
  #settled = false;
  #failed = false;

  constructor(
    req: IncomingMessage,
    options: MultipartOptions,
    resolve: (request: MultipartRequest) => void,
    reject: (error: Error) => void,
  ) {
    this.#req = req;
    this.#o = options;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#out = new Readable({
      read: () => {
        this.#req.resume();
      },
    });
    // A failure after `model` is known destroys this body; undici then fails the upstream
    // request with it, which is how the client hears of it. The stream's own event adds nothing.
    this.#out.on('error', () => undefined);
  }

  start(): void {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: this.#req.headers,
        defParamCharset: 'utf8',
        limits: { fieldSize: this.#o.limit },
      });
    } catch (error) {
      this.#fail(
        new InvalidRequestError(
          'The body must be multipart/form-data with a boundary, as the OpenAI clients send it.',
          { cause: error },
        ),
      );
      return;
    }
    parser.on('field', (name, value) => {
      if (name === 'model') {
        if (this.#model !== undefined) {
          this.#fail(new InvalidFieldError('model', 'The form has more than one "model" field.'));
          return;
        }
        this.#model = value;
        if (!this.#allowed(value)) return;
      } else if (!this.#fieldAllowed(name)) return;
      const sent = name === 'model' ? this.#o.rename(value) : value;
      this.#emit(`--${this.#boundary}${CRLF}${disposition(name)}${CRLF}${CRLF}${sent}${CRLF}`);
      if (name === 'model') this.#settle();
    });
    parser.on('file', (name, file, info) => {
      if (!this.#fieldAllowed(name)) {
        file.resume();
        return;
      }
      if (this.#o.sendBeforeModel) this.#settle();
      this.#emit(
        `--${this.#boundary}${CRLF}${disposition(name, info.filename)}${CRLF}` +
          `Content-Type: ${info.mimeType}${CRLF}${CRLF}`,
      );
      file.on('data', (chunk: Buffer) => {
        this.#emit(chunk);
      });
      file.on('end', () => {
        this.#emit(CRLF);
      });
      // A form that ends inside this part ("Unexpected end of form") fails it here as well as
      // on the parser; unheard, that error ended the process.
      file.on('error', (error: unknown) => {
        this.#fail(
          new InvalidRequestError('The multipart/form-data body is malformed.', { cause: error }),
        );
      });
    });
    parser.on('close', () => {
      // The closing boundary makes the form whole: only once its model is known to be allowed.
      if (this.#model === undefined && !this.#allowed(undefined)) return;
      this.#emit(`--${this.#boundary}--${CRLF}`);
      this.#settle();
      this.#out.push(null);
    });
    parser.on('error', (error: unknown) => {
      this.#fail(
        new InvalidRequestError('The multipart/form-data body is malformed.', { cause: error }),
      );
    });
    const stopReading = readingBody(this.#req, (error) => {
      this.#fail(error);
    });
    this.#req.on('data', (chunk: Buffer) => {
      if (this.#failed) return;
      this.#size += chunk.length;
      if (this.#size > this.#o.limit) {
        this.#req.pause();
        this.#fail(new PayloadTooLargeError(this.#o.limit));
        return;
      }
      parser.write(chunk);
    });
    this.#req.on('end', () => {
      stopReading();
      if (!this.#failed) parser.end();
    });
    this.#req.on('error', (error) => {
      this.#fail(new ClientClosedError(error));
    });
  }

  #fieldAllowed(name: string): boolean {
    try {
      this.#o.checkField?.(name);
      return true;
    } catch (error) {
      this.#fail(error as Error);
      return false;
    }
  }

  #allowed(model: string | undefined): boolean {
    try {
      this.#o.checkModel(model);
      return true;
    } catch (error) {
      this.#fail(error as Error);
      return false;
    }
  }

  /** Rebuilt bytes: held while the model is unknown, then streamed with backpressure. */
  #emit(piece: string | Buffer): void {
    if (this.#failed) return;
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    if (this.#held !== undefined) {
      try {
        reserveBodyMemory(this.#req, bytes.length);
      } catch (error) {
        this.#fail(error as SluiceError);
        return;
      }
      this.#held.push(bytes);
    } else if (!this.#out.push(bytes)) {
      this.#req.pause();
    }
  }

  #settle(): void {
    if (this.#settled || this.#failed) return;
    this.#settled = true;
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const bytes of held) this.#out.push(bytes);
    const model = () => this.#model;
    this.#resolve({
      body: this.#out,
      contentType: `multipart/form-data; boundary=${this.#boundary}`,
      get model() {
        return model();
      },
    });
  }

  /** Before `model` is known the caller gets the error; after, the upstream request does. */
  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#held = undefined;
    // Read the rest of the body and drop it, so the connection can carry the next request; a
    // body over the limit is not read (its answer closes the connection instead).
    if (!(error instanceof PayloadTooLargeError)) this.#req.resume();
    if (this.#settled) this.#out.destroy(error);
    else this.#reject(error);
  }
}

/** `Content-Disposition` of one part; quotes and line breaks escaped as browsers do (WHATWG). */
function disposition(name: string, filename?: string): string {
  const file = filename === undefined ? '' : `; filename="${escapeName(filename)}"`;
  return `Content-Disposition: form-data; name="${escapeName(name)}"${file}`;
}

function escapeName(value: string): string {
  return value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}
