/**
 * Below the Node.js floor: a TCP byte pipe. Each client connection gets its own upstream
 * connection and the bytes are piped both ways — no HTTP parsing, no framing, nothing that
 * could be skipped. What Node costs per relayed event before any HTTP library does anything;
 * between it and `node` (bench/node-relay.ts) lies what `node:http` and undici cost.
 * Started as a child process (argv: upstream port, own port or 0); prints its port.
 */
import { connect, createServer, type AddressInfo } from 'node:net';

const upstreamPort = Number(process.argv[2]);

// No Nagle delay on either side, as node:http and nginx (tcp_nodelay) do for proxied streams.
const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ port: upstreamPort, host: '127.0.0.1', noDelay: true });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
// As Sluice and the bench's nginx: the kernel's largest accept queue.
server.listen({ port: Number(process.argv[3] ?? 0), host: '127.0.0.1', backlog: 65_535 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
