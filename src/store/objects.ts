/** Provider objects created through Sluice and their owners (`owned_objects`). */
import type { Db } from './db.ts';
import { text, textOrNull } from './rows.ts';
import type { OwnedObject } from './types.ts';

/** Ids looked up per query: a list page holds at most a few hundred. */
const CHUNK = 500;

export async function recordObjects(
  db: Db,
  objects: readonly OwnedObject[],
  now: number,
): Promise<void> {
  if (objects.length === 0) return;
  await db.transaction(async (tx) => {
    for (const o of objects) {
      // The first creator keeps it: an id seen again (a retried create) changes nothing.
      await tx.run(
        `INSERT INTO owned_objects (scope, id, user_id, upstream, created_at)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope, id) DO NOTHING`,
        [o.scope, o.id, o.userId, o.upstream, now],
      );
    }
  });
}

export async function findObjects(
  db: Db,
  scope: string,
  ids: readonly string[],
): Promise<OwnedObject[]> {
  const found: OwnedObject[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const rows = await db.all(
      `SELECT scope, id, user_id, upstream FROM owned_objects
WHERE scope = $1 AND id IN (${chunk.map((_, j) => `$${j + 2}`).join(', ')})`,
      [scope, ...chunk],
    );
    for (const row of rows) {
      found.push({
        scope: text(row, 'scope'),
        id: text(row, 'id'),
        userId: text(row, 'user_id'),
        upstream: textOrNull(row, 'upstream'),
      });
    }
  }
  return found;
}
