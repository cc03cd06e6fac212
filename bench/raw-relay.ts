/**
 * A lower Node.js floor than bench/node-relay.ts: `node:http` in, but the upstream reached on a
 * raw socket read into one reused buffer (`net.connect`'s `onread`, no stream machinery, no
 * llhttp) with a hand-written HTTP/1.1 response reader, and the upstream's chunked body passed
 * to the client's socket as it comes (its framing is already the client's). It answers whether
 * a relay on Node could reach DESIGN.md's CPU target if it owned its upstream connections. Only
 * what the benchmark's upstream sends is understood (chunked streams, `/v1/models` with a
 * Content-Length); nothing else. Started as a
 * child process (argv: upstream port, own port or 0); prints its port.
 */
import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

const upstreamPort = Number(process.argv[2]);
/** Every upstream socket reads into this; each read is handled before the next one. */
const READ = Buffer.allocUnsafe(64 * 1024);
const HEAD_END = Buffer.from('\r\n\r\n');

interface Exchange {
  onData(data: Buffer): void;
  onClose(): void;
}

/** An upstream connection, kept alive between exchanges. */
class Upstream {
  readonly socket: Socket;
  exchange: Exchange | undefined;
  constructor() {
    this.socket = connect({
      port: upstreamPort,
      host: '127.0.0.1',
      onread: {
        buffer: READ,
        callback: (n: number, buf: Uint8Array) => {
          this.exchange?.onData(buf.subarray(0, n) as Buffer);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('close', () => {
      idle.delete(this);
      this.exchange?.onClose();
    });
    this.socket.on('error', () => undefined); // 'close' follows
  }
}
const idle = new Set<Upstream>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const client = res.socket;
    if (client === null) return;
    let upstream = idle.values().next().value;
    if (upstream === undefined) upstream = new Upstream();
    else idle.delete(upstream);
    const up = upstream;
    let head: Buffer | undefined; // header bytes until the blank line
    let inBody = false;
    // Chunked framing, tracked only to find the last chunk: bytes left in the current chunk's
    // data (+2 for its CRLF), or the size line being read.
    let left = 0;
    let sizeLine = '';
    let done = false;
    const finish = () => {
      done = true;
      up.exchange = undefined;
      client.off('drain', resume);
      idle.add(up);
    };
    const resume = () => up.socket.resume();
    /** The chunk being read is the last one (size 0). */
    let last = false;
    /** Where in the current read the last chunk's size line starts (-1: in an earlier read). */
    let lastAt = -1;
    /** Walks the chunk framing of `data`; true when the last chunk's final CRLF is in it. */
    const ends = (data: Buffer): boolean => {
      let i = 0;
      lastAt = -1;
      while (i < data.length) {
        if (left > 0) {
          const take = Math.min(left, data.length - i);
          left -= take;
          i += take;
          if (left === 0 && last) return true;
          continue;
        }
        const nl = data.indexOf(10, i);
        if (nl < 0) {
          sizeLine += data.toString('latin1', i);
          return false;
        }
        sizeLine += data.toString('latin1', i, nl);
        const size = parseInt(sizeLine, 16);
        if (size === 0 && sizeLine.length === nl - i) lastAt = i;
        i = nl + 1;
        sizeLine = '';
        last = size === 0; // then only its CRLF follows: the benchmark sends no trailers
        left = size + 2;
      }
      return false;
    };
    /** Bytes left of a body with a Content-Length (the readiness check's `/v1/models`). */
    let fixed: number | undefined;
    const onBody = (data: Buffer) => {
      if (fixed !== undefined) {
        fixed -= data.length;
        if (fixed > 0) res.write(Buffer.from(data));
        else {
          finish();
          res.end(Buffer.from(data));
        }
        return;
      }
      const ended = ends(data);
      // The last chunk is node:http's to write (res.end), so that it knows the answer ended.
      const body = ended && lastAt >= 0 ? data.subarray(0, lastAt) : data;
      if (body.length > 0 && !client.write(Buffer.from(body))) {
        up.socket.pause();
        client.once('drain', resume);
      }
      if (ended) {
        finish();
        res.end();
      }
    };
    up.exchange = {
      onData(data) {
        if (inBody) {
          onBody(data);
          return;
        }
        head = head === undefined ? Buffer.from(data) : Buffer.concat([head, data]);
        const end = head.indexOf(HEAD_END);
        if (end < 0) return;
        inBody = true;
        const status = Number(head.toString('latin1', 9, 12));
        const length = /\r\ncontent-length: *(\d+)/i.exec(head.toString('latin1', 0, end));
        if (length !== null) {
          fixed = Number(length[1]);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': fixed });
        } else {
          res.writeHead(status, {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
          });
          res.flushHeaders();
        }
        const rest = head.subarray(end + 4);
        if (rest.length > 0) onBody(rest);
      },
      onClose() {
        if (!done) client.destroy();
      },
    };
    res.on('close', () => {
      if (!done) up.socket.destroy();
    });
    up.socket.write(
      `POST ${req.url ?? '/'} HTTP/1.1\r\nhost: 127.0.0.1:${upstreamPort}\r\n` +
        `content-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    up.socket.write(body);
  });
});
server.keepAliveTimeout = 120_000;
// As Sluice and the bench's nginx: the kernel's largest accept queue.
server.listen({ port: Number(process.argv[3] ?? 0), host: '127.0.0.1', backlog: 65_535 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
