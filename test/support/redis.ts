/** A keyspace of the test's own in the machine's Redis (127.0.0.1:6379), deleted afterwards. */
import { randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export interface TestKeyspace {
  readonly prefix: string;
  /** Deletes every key under the prefix. */
  drop(): Promise<void>;
}

export function testKeyspace(): TestKeyspace {
  const prefix = `sluice-test-${randomBytes(4).toString('hex')}:`;
  return {
    prefix,
    async drop() {
      const client = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false } });
      await client.connect();
      try {
        let cursor = '0';
        do {
          const page = await client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1000 });
          cursor = page.cursor;
          if (page.keys.length > 0) await client.del(page.keys.map(String));
        } while (cursor !== '0');
      } finally {
        await client.close();
      }
    },
  };
}
