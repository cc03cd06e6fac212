/**
 * pg, loaded when PostgreSQL is first used: a SQLite deployment, and every CLI command that
 * never touches PostgreSQL, skip its load (a tenth of a second or more of a command's start).
 */
import { createRequire } from 'node:module';
import type * as Pg from 'pg';

let pg: typeof Pg | undefined;

export function loadPg(): typeof Pg {
  return (pg ??= createRequire(import.meta.url)('pg') as typeof Pg);
}
