const EXPECTED = 'DATABASE_URL must be postgres://user:pass@host:5432/dbname';

/**
 * Checks a DATABASE_URL: a `postgres://` or `postgresql://` URL. Throws with a message that
 * names the expected form and echoes the value given, its password masked.
 */
export function parseDatabaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch (error) {
    throw new Error(`${EXPECTED}; got "${maskPassword(text)}", which is not a URL`, {
      cause: error,
    });
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(
      `${EXPECTED}; got "${maskPassword(text)}" (only PostgreSQL is supported; ` +
        'leave DATABASE_URL unset for the built-in SQLite database)',
    );
  }
  return url;
}

/** `scheme://user:secret@host` → `scheme://user:***@host`, also for strings URL cannot parse. */
export function maskPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
