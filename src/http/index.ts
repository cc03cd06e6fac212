/**
 * What every route shares and no route owns: request bodies (size, time, memory), the router,
 * errors into responses, paths, cookies and the client's address. It knows no route.
 */
export {
  limitedBody,
  ownUtf8,
  parseJsonObject,
  readBody,
  rejectDeclaredOverLimit,
} from './body.ts';
export { BodyBudget } from './body-budget.ts';
export {
  type BodyRules,
  guardBody,
  readingBody,
  releaseBody,
  reserveBodyMemory,
} from './body-guard.ts';
export { declaresBody } from './body-watchdog.ts';
export { lingerOnClose } from './linger.ts';
export {
  formatTraceParent,
  newSpanId,
  newTraceId,
  SAMPLED,
  type TraceParent,
  traceParentOf,
  traceStateOf,
} from './trace-context.ts';
export { clientIpResolver, type ClientIpResolver } from './client-ip.ts';
export { addCookie, readCookie, serializeCookie, type CookieOptions } from './cookies.ts';
export { allowCors, answerPreflight, type CorsOrigins, isPreflight } from './cors.ts';
export { EVENT_STREAM_HEADERS, isEventStream, isJson } from './event-stream.ts';
export { checkPath, checkRequestTarget, decodeSegment, requestUrl } from './paths.ts';
export { sendError, sendJson, toSluiceError, type ErrorRenderer } from './respond.ts';
export { matchPath, Router, type Match, type Method, type Route } from './router.ts';
