import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { CommandIO } from './command.ts';
import { main } from './main.ts';

async function migrate(
  env: Record<string, string>,
  args: readonly string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  };
  const code = await main(['migrate', ...args], io);
  return { code, stdout, stderr };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({
    connectionString: 'postgres://postgres@127.0.0.1:5432/postgres',
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('sluice migrate', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-migrate-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('migrates the SQLite file in the data directory, then finds nothing to do', async () => {
    const dataDir = join(dir, 'data');
    const first = await migrate({}, ['--data-dir', dataDir]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(
      first.stdout,
      'applied 1: users, api keys and usage records\n' +
        'applied 2: browser sessions, conversations and messages\n' +
        'applied 3: route scopes of keys and the provider objects users own\n' +
        'applied 4: the instance that served each request\n' +
        'applied 5: the model name a client asked for, when an alias\n' +
        'applied 6: time to first token\n' +
        'applied 7: the upstreams a request tried\n' +
        'applied 8: web searches a request ran\n' +
        `SQLite ${join(dataDir, 'sluice.db')} is at schema version 8\n`,
    );
    const second = await migrate({ SLUICE_DATA_DIR: dataDir });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^nothing to apply; SQLite .* is at schema version 8\n$/);
  });

  it('migrates PostgreSQL named by DATABASE_URL', async () => {
    const name = `sluice_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    try {
      const result = await migrate({
        DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${name}`,
        SLUICE_DATA_DIR: dir,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /^applied 1: .*\napplied 2: .*\napplied 3: .*\napplied 4: .*\napplied 5: .*\napplied 6: .*\napplied 7: .*\napplied 8: .*\nPostgreSQL 127\.0\.0\.1:5432\/sluice_test_\w+ is at/,
      );
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });

  it('exits 2 on a DATABASE_URL that is not PostgreSQL', async () => {
    const result = await migrate({
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      SLUICE_DATA_DIR: dir,
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /DATABASE_URL must be postgres:\/\//);
    assert.doesNotMatch(result.stderr, /hunter2/);
  });

  it('exits 2 on bad configuration', async () => {
    const result = await migrate({
      SLUICE_DATA_DIR: dir,
      SLUICE_CONFIG: join(dir, 'missing.json'),
    });
    assert.equal(result.code, 2);
  });

  it('exits 1 when the database cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    await new Promise((resolve) => server.close(resolve));
    const result = await migrate({
      DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${address.port}/x`,
      SLUICE_DATA_DIR: dir,
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^sluice migrate: PostgreSQL: .*ECONNREFUSED.*\n\(database: PostgreSQL 127\.0\.0\.1:\d+\/x\)\n$/,
    );
    assert.doesNotMatch(result.stderr, /secret/);
  });
});
