/**
 * `/metrics` on a listener of its own (`SLUICE_METRICS_LISTEN`), for an address only the
 * scraper reaches: it answers `/metrics` (with the token too, when one is set) and 404 to
 * everything else, while the main port answers 404 to `/metrics`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openaiGeneric } from '../dialects/index.ts';
import { UnknownUrlError } from '../errors/index.ts';
import { requestUrl, sendError, toSluiceError } from '../http/index.ts';
import type { Logger } from '../log/index.ts';
import { type MetricsAccess, serveMetrics } from '../telemetry/index.ts';

export class MetricsListener {
  readonly #http: Server;

  /** `count`: each answer, by its status, into `sluice_http_requests_total`. */
  constructor(access: MetricsAccess, count: (status: number) => void, log: Logger) {
    this.#http = createServer((req, res) => {
      const answer = async () => {
        const path = requestUrl(req.url ?? '/').pathname;
        if (path !== '/metrics') throw new UnknownUrlError(req.method ?? 'GET', path);
        await serveMetrics(req, res, access);
      };
      void answer()
        .catch((thrown: unknown) => {
          const error = toSluiceError(thrown);
          if (error.status >= 500) log.error('metrics request failed', { error });
          sendError(res, error, openaiGeneric);
        })
        .finally(() => {
          count(res.statusCode);
        });
    });
  }

  async listen(host: string, port: number): Promise<URL> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    const address = this.#http.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new URL(`http://${shown}:${address.port}/metrics`);
  }

  /** Stops at once: a scrape in flight is cut, the next one finds nothing listening. */
  async close(): Promise<void> {
    if (!this.#http.listening) return;
    const closed = new Promise<void>((resolve) => {
      this.#http.close(() => {
        resolve();
      });
    });
    this.#http.closeAllConnections();
    await closed;
  }
}
