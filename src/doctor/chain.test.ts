/**
 * `--chain`: the point where a problem first appears, going from Sluice outwards, and the hop
 * there named by what differs from the point behind it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOWER_CASED as LOWER,
  NGINX_HEADERS,
  THROUGH_NGINX,
  withArrival,
} from '../../test/support/arrived-timeline.ts';
import {
  probeTimeline,
  scheduleOf,
  SSE_HEADERS,
} from '../../test/support/intermediaries/synthetic-timeline.ts';
import { chainDiagnoses } from './chain.ts';
import { classify } from './classify.ts';
import type { Diagnosis } from './diagnosis.ts';
import type { ProbeShape, RequestView, Timeline } from './timeline.ts';

const SILENT: ProbeShape = { events: 3, intervalMs: 50, pad: 0, silenceMs: 4500 };

function at(port: number, timeline: Timeline, request: Partial<RequestView>): Diagnosis {
  return classify(
    withArrival({ ...timeline, url: `http://127.0.0.1:${port}/sluice/probe` }, request),
  );
}

function cut(headers: Readonly<Record<string, string>>): Timeline {
  return probeTimeline({
    probe: SILENT,
    arrivals: [3],
    headers,
    end: { kind: 'reset', t: 3004, code: 'ECONNRESET' },
  });
}

const streams = probeTimeline({
  probe: SILENT,
  arrivals: scheduleOf(SILENT).map((s) => s + 3),
});

describe('chainDiagnoses', () => {
  it('nginx → a silent HAProxy → Sluice: the problem appears at the silent hop, not at nginx', () => {
    const chain = chainDiagnoses([
      at(8080, cut(NGINX_HEADERS), LOWER),
      at(8081, cut(SSE_HEADERS), LOWER),
      at(8082, streams, {}),
    ]);
    assert.equal(chain.verdict, 'cut');
    assert.equal(chain.culprit?.index, 1);
    assert.equal(chain.culprit.name, 'the hop answering at 127.0.0.1:8081');
    assert.match(
      chain.summary,
      /first appears at 127\.0\.0\.1:8081: 127\.0\.0\.1:8082 streams, 127\.0\.0\.1:8081 is cut/,
    );
    const cause = chain.culprit.cause;
    assert.equal(cause.id, 'idle-cut');
    // Where is measured; what it is, a guess from how it writes names.
    assert.equal(cause.suspected, true);
    assert.match(cause.suspect ?? '', /the hop answering at 127\.0\.0\.1:8081/);
    assert.equal(cause.fixes[0]?.hop, 'haproxy');
    assert.ok(!cause.fixes.some((f) => f.hop === 'nginx'), 'no nginx fix: nginx is not there');
  });

  it('nginx itself cuts: named by what only its point shows, its fix, no guess', () => {
    const chain = chainDiagnoses([
      at(8080, cut(NGINX_HEADERS), THROUGH_NGINX),
      at(8082, streams, {}),
    ]);
    assert.equal(chain.culprit?.index, 0);
    assert.equal(chain.culprit.name, 'nginx at 127.0.0.1:8080');
    assert.equal(chain.culprit.cause.suspected, false);
    assert.match(chain.culprit.cause.fixes[0]?.snippet ?? '', /proxy_read_timeout/);
  });

  it('every point streams', () => {
    const chain = chainDiagnoses([at(8080, streams, {}), at(8082, streams, {})]);
    assert.equal(chain.verdict, 'ok');
    assert.equal(chain.culprit, undefined);
    assert.match(chain.summary, /every point streams/);
  });

  it('the innermost point already shows it: behind it, or the server', () => {
    const chain = chainDiagnoses([at(8080, cut(SSE_HEADERS), {}), at(8082, cut(SSE_HEADERS), {})]);
    assert.equal(chain.culprit?.index, 1);
    assert.match(chain.summary, /already at the innermost point, 127\.0\.0\.1:8082/);
  });
});
