/**
 * The body of a credential endpoint's answer (a token, a key, a role name): a few hundred bytes,
 * read whole only up to a cap, so a wrong or hostile endpoint cannot make Sluice hold megabytes.
 */
import type { Dispatcher } from 'undici';

const MAX_ANSWER_BYTES = 64 * 1024;

/** The answer as text; undefined past the cap. */
export async function smallText(
  body: Dispatcher.ResponseData['body'],
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_ANSWER_BYTES) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The answer as a JSON object, or undefined (not JSON, not an object, past the cap). */
export async function smallJson(
  body: Dispatcher.ResponseData['body'],
): Promise<Record<string, unknown> | undefined> {
  const text = await smallText(body);
  return text === undefined ? undefined : jsonObject(text);
}

/** `text` as a JSON object, or undefined. */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
