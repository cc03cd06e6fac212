/**
 * What a request's body asks for that token counts do not say, read alike for an estimate
 * after it ends (`meter.ts`) and for its reserve before it starts (`reserve.ts`): priority
 * processing, speech's input text, images.
 */
import { isObject, type TokenUsage } from '../dialects/index.ts';

export type Asked = Pick<TokenUsage, 'priority' | 'inputCharacters' | 'images'>;

/** `answer`: the whole JSON answer, when there is one (the images it holds). */
export function askedFor(
  endpoint: string,
  body: Record<string, unknown> | undefined,
  answer?: unknown,
): Asked {
  return {
    // Priority processing asked for and not seen refused: charged at its rates.
    ...(body?.service_tier === 'priority' ? { priority: true as const } : {}),
    // Speech is billed by its input's length (`tts-1`): the text is in the request.
    ...(endpoint === '/v1/audio/speech' && typeof body?.input === 'string'
      ? { inputCharacters: codePoints(body.input) }
      : {}),
    ...(IMAGE_ENDPOINTS.has(endpoint) ? { images: imagesMade(body, answer) } : {}),
  };
}

const IMAGE_ENDPOINTS: ReadonlySet<string> = new Set([
  '/v1/images/generations',
  '/v1/images/edits',
  '/v1/images/variations',
]);

/**
 * The images an answer holds (`data`), or — when it was too large to keep, or has not come yet
 * — as many as the request asked for (`n`, 1 by default); their size and quality as asked (a
 * form's are not read: its kind is unknown, and costs the most its model's prices list).
 */
function imagesMade(
  body: Record<string, unknown> | undefined,
  answer: unknown,
): { count: number; kind: string } {
  const data = isObject(answer) && Array.isArray(answer.data) ? answer.data : undefined;
  const asked = typeof body?.n === 'number' && Number.isInteger(body.n) && body.n > 0 ? body.n : 1;
  const size = typeof body?.size === 'string' ? body.size : body === undefined ? '' : '1024x1024';
  const hd = body?.quality === 'hd' ? 'hd ' : '';
  return { count: data?.length ?? asked, kind: `${hd}${size}` };
}

/** Characters as a reader counts them: a surrogate pair is one. */
function codePoints(text: string): number {
  return text.replace(/[\uDC00-\uDFFF]/g, '').length;
}
