/**
 * `[HOST:]PORT` and `HOST:PORT` as `sluice nginx` takes them. The port stays text: the generator
 * writes it as given, so a caller that only learns its port later (a test handing the config to
 * an nginx that picks a free port) can pass a placeholder such as `{{PORT}}`.
 */
import { AddressError } from '../errors/index.ts';

export interface Address {
  /** `undefined`: every address (`listen 80;`). IPv6 literals are kept in brackets. */
  readonly host: string | undefined;
  readonly port: string;
}

export { AddressError };

/** `8080`, `127.0.0.1:8080`, `[::1]:8080`, `sluice:8080`; `requireHost` for upstreams. */
export function parseAddress(text: string, what: string, requireHost = false): Address {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):)?(\d{1,5})$/.exec(text.trim());
  const port = match?.[2];
  if (match === null || port === undefined || Number(port) < 1 || Number(port) > 65535) {
    throw new AddressError(
      `${what} takes ${requireHost ? 'HOST:PORT' : '[HOST:]PORT'} with a port from 1 to 65535, e.g. ${
        requireHost ? '127.0.0.1:8080' : '443 or 0.0.0.0:80'
      }; got "${text}"`,
    );
  }
  const host = match[1];
  if (requireHost && host === undefined) {
    throw new AddressError(`${what} needs a host as well as a port, e.g. 127.0.0.1:${port}`);
  }
  return { host, port };
}

/** As nginx's `listen` and `server` directives read it. */
export function formatAddress(address: Address): string {
  return address.host === undefined ? address.port : `${address.host}:${address.port}`;
}
