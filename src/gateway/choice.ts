/**
 * How a request is served: by the upstreams of the client's own API family that serve its
 * model; a Responses request by those with the Responses API first, else by those without it
 * through Chat Completions; failing that, by the other family through translation (Chat
 * Completions or Responses ⇄ Messages); and a token count no upstream can give, counted here.
 * Never a mix: one request, one way. Throws the 404 that names what is missing.
 */
import { ModelNotFoundError, NoUpstreamError, type SluiceError } from '../errors/index.ts';
import { candidatesFor, type Upstream } from '../upstream/index.ts';
import { type LocalCount, localCountFor } from './local-count.ts';
import type { ParsedRequest } from './request.ts';
import {
  responsesViaChat,
  type Translation,
  translatableTo,
  translationFor,
} from './translation.ts';

export type Choice =
  | {
      readonly candidates: Upstream[];
      /** Set when the upstreams speak another dialect than the client. */
      readonly translation: Translation | undefined;
      readonly count?: undefined;
    }
  | { readonly count: LocalCount };

/** A compaction answers with encrypted items only the Responses API makes: never translated. */
const COMPACT = '/v1/responses/compact';

/** Routes whose upstreams must have the Responses API to serve them untranslated. */
const RESPONSES_ROUTES: ReadonlySet<string> = new Set([
  '/v1/responses',
  '/v1/responses/input_tokens',
  COMPACT,
]);

/** `holder`: the upstream that holds the object the request names, if Sluice knows it. */
export function chooseUpstreams(
  parsed: ParsedRequest,
  method: string,
  upstreams: readonly Upstream[],
  holder: string | undefined,
): Choice {
  const { family, dialect } = parsed.endpoint;
  const own = pinned(
    candidatesFor(upstreams, family, parsed.model, dialect.name !== 'openai'),
    holder,
  );
  if (parsed.route.kind === 'models' && parsed.pathname === '/v1/models') {
    // The model list names what this family's clients can use, the other family's models (by
    // translation) included.
    const other = upstreams.filter((u) => u.family !== family && !u.demo);
    if (own.length + other.length === 0) throw noUpstream(parsed, upstreams);
    return { candidates: [...own, ...other], translation: undefined };
  }
  if (method !== 'POST') {
    if (own.length === 0) throw noUpstream(parsed, upstreams);
    return { candidates: own, translation: undefined };
  }
  if (RESPONSES_ROUTES.has(parsed.pathname)) {
    const native = own.filter((u) => u.servesResponses);
    if (native.length > 0) return { candidates: native, translation: undefined };
    if (own.length > 0) {
      const count = localCountFor(parsed);
      if (count !== undefined) return { count };
      const translation = parsed.pathname === COMPACT ? undefined : responsesViaChat(parsed);
      if (translation !== undefined) return { candidates: own, translation };
    }
  } else if (own.length > 0) {
    // Bedrock counts tokens in a shape of its own; Claude Code's count is answered here.
    const count = own.every((u) => u.bedrock !== undefined) ? localCountFor(parsed) : undefined;
    if (count !== undefined) return { count };
    return { candidates: own, translation: undefined };
  }
  const other = translatableTo(parsed);
  const across = other === undefined ? [] : candidatesFor(upstreams, other, parsed.model, true);
  if (across.length > 0) {
    const translation = translationFor(parsed);
    if (translation !== undefined) return { candidates: across, translation };
    const count = localCountFor(parsed);
    if (count !== undefined) return { count };
  }
  throw noUpstream(parsed, upstreams);
}

/** Requests that name an object go to the upstream that holds it, when Sluice knows which. */
function pinned(candidates: Upstream[], holder: string | undefined): Upstream[] {
  if (holder === undefined) return candidates;
  const holding = candidates.filter((u) => u.name === holder);
  return holding.length > 0 ? holding : candidates;
}

function noUpstream(parsed: ParsedRequest, upstreams: readonly Upstream[]): SluiceError {
  const { family } = parsed.endpoint;
  const ofFamily = upstreams.filter((u) => u.family === family);
  if (ofFamily.length === 0) {
    return new NoUpstreamError(
      family === 'anthropic'
        ? 'No Anthropic upstream is configured: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a relay).'
        : 'No OpenAI upstream is configured: set OPENAI_API_KEY or BASE_URL.',
    );
  }
  const model = parsed.model ?? '';
  const hint =
    family === 'anthropic'
      ? 'Set ANTHROPIC_API_KEY to use real models.'
      : 'Set OPENAI_API_KEY or BASE_URL to use real models.';
  return new ModelNotFoundError(
    ofFamily.every((u) => u.demo)
      ? `The model \`${model}\` does not exist here: no upstream is configured, only the built-in demo model \`sluice-demo\`. ${hint}`
      : `The model \`${model}\` is not served by any configured upstream.`,
  );
}
