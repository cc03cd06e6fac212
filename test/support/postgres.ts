/**
 * PostgreSQL for tests. `testDatabase()` makes a fresh database on the machine's server
 * (127.0.0.1:5432, trust auth) and drops it afterwards. `privateCluster()` runs a server of the
 * test's own (initdb into a temp dir, its own port) so a test can stop and restart it without
 * disturbing anyone else.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.ts';

const run = promisify(execFile);
const SERVER = 'postgres://postgres@127.0.0.1:5432';

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export async function testDatabase(): Promise<TestDatabase> {
  const name = `sluice_test_${Math.random().toString(36).slice(2, 10)}`;
  await admin(`${SERVER}/postgres`, `CREATE DATABASE ${name}`);
  return {
    url: `${SERVER}/${name}`,
    drop: () => admin(`${SERVER}/postgres`, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const BIN = '/usr/lib/postgresql/15/bin';

export interface PrivateCluster {
  readonly url: string;
  start(): Promise<void>;
  /** Fast shutdown: open sessions are cut, as in an outage. */
  stop(): Promise<void>;
  remove(): Promise<void>;
}

/** A PostgreSQL server of the test's own; it runs as the `postgres` user, as PostgreSQL insists. */
export async function privateCluster(): Promise<PrivateCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pg-'));
  const data = join(dir, 'data');
  const { uid, gid } = await idsOf('postgres');
  await chown(dir, uid, gid);
  await chmod(dir, 0o700);
  const port = await freePort();
  const asPostgres = (cmd: string, args: string[]) =>
    run('/usr/sbin/runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args], {
      timeout: 60_000,
    });
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  let running = false;
  const cluster: PrivateCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await asPostgres('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'log'),
        '-o',
        options,
        '-w',
        'start',
      ]);
      running = true;
    },
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    async remove() {
      if (running) await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}

async function idsOf(user: string): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run('id', ['-u', user]);
  const { stdout: gid } = await run('id', ['-g', user]);
  return { uid: Number(uid), gid: Number(gid) };
}
