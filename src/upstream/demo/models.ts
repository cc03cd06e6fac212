/** The one model this server has, as `GET /v1/models` lists it. */

export const MODEL_ID = 'sluice-demo';

/** Fixed, so that the listing is the same bytes on every start (2026-01-01T00:00:00Z). */
const CREATED = 1767225600;

const model = { id: MODEL_ID, object: 'model', created: CREATED, owned_by: MODEL_ID };

/** The body for `GET <path>`, or undefined when the path is not a models route. */
export function modelsAt(path: string): object | undefined {
  if (path === '/v1/models') return { object: 'list', data: [model] };
  if (path === `/v1/models/${MODEL_ID}`) return model;
  return undefined;
}
