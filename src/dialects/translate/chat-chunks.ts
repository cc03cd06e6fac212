/** Reading a Chat Completions stream's chunks and answers, shared by the translations from Chat. */
import { type JsonObject, asArray, isObject } from './json.ts';

/** A chunk's `data:` text as an object, or the words for what is wrong with it (a string). */
export function parseChatChunk(data: string): JsonObject | string {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    return `a chunk is not JSON: ${data.slice(0, 100)}`;
  }
  return isObject(chunk) ? chunk : 'a chunk is not a JSON object.';
}

/** The first choice (index 0) of a chunk or answer: the one a translation carries. */
export function firstChoice(chunk: JsonObject): JsonObject | undefined {
  const choice = asArray(chunk.choices)?.find((c) => isObject(c) && (c.index ?? 0) === 0);
  return isObject(choice) ? choice : undefined;
}
