import type { Db } from './db.ts';
import { MIGRATIONS, MIGRATIONS_TABLE, type Migration } from './schema.ts';
import type { MigrationReport } from './types.ts';

/**
 * Applies the migrations not yet recorded, all in one transaction under the migrations lock:
 * a second process starting at the same time waits, then finds nothing left to do.
 */
export function migrate(
  db: Db,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => number = Date.now,
): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    await tx.exec(MIGRATIONS_TABLE);
    const rows = await tx.all('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: { version: number; name: string }[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.run(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
        [migration.version, migration.name, now()],
      );
      applied.push({ version: migration.version, name: migration.name });
      done.add(migration.version);
    }
    return { applied, current: Math.max(0, ...done) };
  }, 'migrations');
}
