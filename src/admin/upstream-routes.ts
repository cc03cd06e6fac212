/** `/api/admin/upstreams`: where requests go, and which upstreams and keys are skipped as broken. */
import type { BreakerState, Health, Upstream } from '../upstream/index.ts';
import type { AdminRoute } from './route.ts';

export function upstreamRoutes(upstreams: () => readonly Upstream[]): AdminRoute[] {
  return [
    {
      path: 'upstreams',
      methods: {
        GET: () => Promise.resolve({ status: 200, body: { data: upstreams().map(upstreamView) } }),
      },
    },
  ];
}

export function upstreamView(u: Upstream) {
  return {
    name: u.name,
    family: u.azure === undefined ? u.family : 'azure',
    url: u.origin + u.basePath,
    demo: u.demo,
    priority: u.priority,
    weight: u.weight,
    models: u.models ?? null,
    aliases: u.aliases,
    responses: u.servesResponses,
    ...healthView(u.health),
    keys: u.keys.map((k) => ({ id: k.id, ...healthView(k.health) })),
  };
}

function healthView(health: Health): {
  state: BreakerState;
  open_until: string | null;
  reason: string | null;
} {
  const state = health.state;
  return {
    state,
    open_until: state === 'closed' ? null : new Date(health.openUntil).toISOString(),
    reason: health.reason ?? null,
  };
}
