/**
 * Framing a relayed chunk (issue #16). Each event used to be copied three times on its way out
 * in the default case — `"usage":null` cut into a new buffer by the dialect, the chunk put
 * together again around it, and the result copied into its HTTP chunk frame. Now the tap only
 * says what to cut (`ChunkEdits`) and the sink applies it as it frames: a small chunk is copied
 * once, into its frame; a large one is written as views of the upstream's own bytes in one
 * vectored write, not copied at all. Both come out byte for byte as the edits say, in one
 * socket write per upstream chunk.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { EventEdit } from '../dialects/index.ts';
import { ChunkEdits } from './chunk-edits.ts';
import { bodyLength, ChunkedSink, COPY_MAX, frame } from './chunked-sink.ts';

const chunked = (body: string) => `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n`;

/** Edits for the events of `chunk`, found as the tap would: `[event text, edit]`. */
function editsFor(chunk: Buffer, wanted: [string, EventEdit][]): ChunkEdits {
  const edits = new ChunkEdits();
  let from = 0;
  for (const [event, edit] of wanted) {
    const start = chunk.indexOf(event, from);
    assert.ok(start >= 0, event);
    edits.add(start, start + Buffer.byteLength(event), edit);
    from = start + Buffer.byteLength(event);
  }
  return edits;
}

const A = 'data: {"a":1,"usage":null}\n\n';
const B = 'data: {"b":2}\n\n';
const C = 'data: {"choices":[],"usage":{"total_tokens":3}}\n\n';
const cutUsage: EventEdit = { kind: 'cut', from: A.indexOf(',"usage":null'), to: A.indexOf('}') };

describe('frame', () => {
  it('frames a chunk as it is when nothing is edited', () => {
    const chunk = Buffer.from(A + B);
    assert.equal(frame(chunk, chunk.length, undefined, true).toString(), chunked(A + B));
    assert.equal(frame(chunk, chunk.length, undefined, false).toString(), A + B);
  });

  it('applies cuts, drops and replacements of several events as it copies', () => {
    const chunk = Buffer.from(A + B + A + C);
    const replaced = 'data: {"b":"two"}\n\n';
    const edits = editsFor(chunk, [
      [A, cutUsage],
      [B, { kind: 'replace', bytes: Buffer.from(replaced) }],
      [A, cutUsage],
      [C, { kind: 'drop' }],
    ]);
    const expected = `data: {"a":1}\n\n${replaced}data: {"a":1}\n\n`;
    assert.equal(bodyLength(chunk, edits), Buffer.byteLength(expected));
    assert.equal(frame(chunk, bodyLength(chunk, edits), edits, true).toString(), chunked(expected));
    assert.equal(Buffer.concat(edits.pieces(chunk)).toString(), expected);
  });

  it('sizes and encodes text once (translated streams), multi-byte characters included', () => {
    const text = 'data: {"content":"漢字 → ü"}\n\n';
    const length = bodyLength(text);
    assert.equal(frame(text, length, undefined, true).toString(), chunked(text));
  });

  it('writes the size line in hexadecimal, whatever the length', () => {
    for (const size of [1, 15, 16, 255, 256, 4095, 65_536]) {
      const body = Buffer.alloc(size, 0x61);
      const framed = frame(body, size, undefined, true);
      assert.equal(framed.toString('latin1', 0, framed.indexOf('\r\n')), size.toString(16));
    }
  });
});

/**
 * A client socket that records each write (a `writev` as one). `stalled`: the client reads
 * nothing, so what is written stays buffered, as in a full socket.
 */
function recordingSocket({ highWaterMark = 1 << 20, stalled = false } = {}) {
  const writes: Buffer[][] = [];
  const done = (callback: () => void) => {
    if (!stalled) callback();
  };
  const socket = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, callback) {
      writes.push([chunk]);
      done(callback);
    },
    writev(chunks, callback) {
      writes.push(chunks.map((c) => c.chunk as Buffer));
      done(callback);
    },
  });
  const res = {
    socket,
    chunkedEncoding: true,
    statusCode: 200,
    req: { method: 'POST' } as unknown as IncomingMessage,
  } as unknown as ServerResponse;
  return { writes, res, socket };
}

describe('ChunkedSink', () => {
  it('writes a small chunk as one frame, one socket write', () => {
    const { writes, res } = recordingSocket();
    const chunk = Buffer.from(A + B);
    const edits = editsFor(chunk, [[A, cutUsage]]);
    assert.equal(new ChunkedSink(res).write(chunk, edits), true);
    assert.deepEqual(
      writes.map((pieces) => pieces.map(String)),
      [[chunked('data: {"a":1}\n\n' + B)]],
    );
  });

  it('writes a large chunk as views of the upstream’s bytes, in one vectored write', () => {
    const { writes, res } = recordingSocket();
    const pad = 'x'.repeat(COPY_MAX);
    const big = `data: {"content":"${pad}","usage":null}\n\n`;
    const chunk = Buffer.from(big + B);
    const from = big.indexOf(',"usage":null');
    const edits = editsFor(chunk, [[big, { kind: 'cut', from, to: from + 13 }]]);
    new ChunkedSink(res).write(chunk, edits);
    assert.equal(writes.length, 1, 'one write: size line, pieces and CRLF corked together');
    const pieces = writes[0] ?? [];
    const body = `data: {"content":"${pad}"}\n\n${B}`;
    assert.equal(Buffer.concat(pieces).toString(), chunked(body));
    const inChunk = (piece: Buffer) =>
      piece.buffer === chunk.buffer &&
      piece.byteOffset >= chunk.byteOffset &&
      piece.byteOffset + piece.length <= chunk.byteOffset + chunk.length;
    const views = pieces.filter(inChunk);
    assert.equal(views.length, 2, 'the text around the cut was not copied');
    assert.equal(
      views.reduce((n, v) => n + v.length, 0),
      Buffer.byteLength(body),
    );
  });

  it('writes a large unedited chunk without copying it', () => {
    const { writes, res } = recordingSocket();
    const chunk = Buffer.from(`data: ${'y'.repeat(2 * COPY_MAX)}\n\n`);
    new ChunkedSink(res).write(chunk);
    assert.equal(writes.length, 1);
    assert.ok(writes[0]?.includes(chunk), 'the chunk itself went to the socket');
  });

  it('writes nothing for a chunk whose every event was dropped: no empty chunk ends the body', () => {
    const { writes, res } = recordingSocket();
    const chunk = Buffer.from(C);
    const edits = editsFor(chunk, [[C, { kind: 'drop' }]]);
    assert.equal(new ChunkedSink(res).write(chunk, edits), true);
    assert.deepEqual(writes, []);
  });

  it('says when the socket is full, for either way of writing', () => {
    for (const size of [100, 2 * COPY_MAX]) {
      const { res } = recordingSocket({ highWaterMark: 64, stalled: true });
      const sink = new ChunkedSink(res);
      assert.equal(sink.write(Buffer.alloc(size, 0x61)), false, `${size} bytes`);
      assert.equal(sink.full, true);
    }
  });
});
