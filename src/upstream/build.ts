import type { ApiFamily, Config, UpstreamConfig } from '../config/index.ts';
import type { Dispatchers } from './dispatchers.ts';
import { chooseEgress } from './egress.ts';
import { FAMILY_HEADERS, type Upstream } from './upstreams.ts';

/** The configured upstreams, each bound to the dispatcher of its way out. */
export function buildUpstreams(
  config: Pick<Config, 'upstreams' | 'egress'>,
  dispatchers: Dispatchers,
): Upstream[] {
  return config.upstreams.map((u) => buildUpstream(u, dispatchers, config));
}

function buildUpstream(
  u: UpstreamConfig,
  dispatchers: Dispatchers,
  config: Pick<Config, 'egress'>,
): Upstream {
  const family = FAMILY_HEADERS[u.family];
  const configured = Object.fromEntries(
    Object.entries(u.headers).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return {
    name: u.name,
    family: u.family,
    origin: u.baseUrl.origin,
    basePath: u.baseUrl.pathname,
    dispatcher: dispatchers.for(chooseEgress(u.baseUrl, config.egress)),
    headers: { ...configured, ...(u.apiKey === undefined ? {} : family.auth(u.apiKey)) },
    defaultHeaders: family.defaults,
    models: u.models,
    demo: false,
  };
}

/** The demo model stands in for every API family that has no upstream configured. */
export function demoUpstreams(
  families: readonly ApiFamily[],
  origin: string,
  dispatchers: Dispatchers,
): Upstream[] {
  return families.map((family) => ({
    name: 'sluice-demo',
    family,
    origin,
    basePath: '/v1',
    dispatcher: dispatchers.for({ kind: 'direct' }),
    headers: {},
    defaultHeaders: FAMILY_HEADERS[family].defaults,
    models: [DEMO_MODEL],
    demo: true,
  }));
}

export const DEMO_MODEL = 'sluice-demo';
