/**
 * Blaming hops (issue 15). Measured: nginx (healthy, proxy_read_timeout 3600s) → HAProxy
 * (`timeout server 3s`) → Sluice with a 4.5 s silence was called a cut by nginx, with an nginx
 * fix that changed nothing: HAProxy adds no header. Now the probe says the request arrived
 * written in lower case, which nginx never does, so the cut is not pinned on nginx: the cause
 * says where the fault may sit, marks the guess, and puts the silent hop's fix first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LOWER_CASED as LOWER,
  NGINX_HEADERS,
  THROUGH_NGINX,
  withArrival,
} from '../../test/support/arrived-timeline.ts';
import { probeTimeline, scheduleOf } from '../../test/support/intermediaries/synthetic-timeline.ts';
import { classify } from './classify.ts';
import { diagnosisJson } from './json.ts';
import type { ProbeShape, Timeline } from './timeline.ts';

const SILENT: ProbeShape = { events: 3, intervalMs: 50, pad: 0, silenceMs: 4500 };

/** One event, then the connection closed 3 s into the silence. */
function cutAfter3s(): Timeline {
  return probeTimeline({
    probe: SILENT,
    arrivals: [3],
    headers: NGINX_HEADERS,
    end: { kind: 'reset', t: 3004, code: 'ECONNRESET' },
  });
}

describe('attribution with the path', () => {
  it('a cut behind nginx by a silent hop: not pinned on nginx, marked, the silent hop first', () => {
    const d = classify(withArrival(cutAfter3s(), LOWER));
    assert.equal(d.verdict, 'cut');
    const cause = d.causes[0];
    assert.equal(cause?.id, 'idle-cut');
    assert.equal(cause.suspected, true);
    assert.match(
      cause.suspect ?? '',
      /^not pinned: a hop between nginx and Sluice that adds no header, or nginx$/,
    );
    assert.match(cause.evidence.join('\n'), /spelt "host"/);
    assert.equal(cause.fixes[0]?.hop, 'haproxy');
    assert.match(cause.fixes[0].snippet ?? '', /timeout server 1h/);
    assert.deepEqual(cause.hops, ['haproxy', 'nginx']);
    const json = diagnosisJson(d).causes[0];
    assert.ok(json);
    assert.ok(
      json.fixes.filter((f) => f.hop === 'nginx' || f.hop === 'haproxy').every((f) => f.suspected),
    );
    assert.ok(
      json.fixes.some((f) => f.hop === 'sluice' && !f.suspected),
      'keepalives help whoever cut',
    );
    assert.equal(json.suspect, cause.suspect);
  });

  it('the same cut with nginx alone on the path: nginx, no guess', () => {
    const d = classify(withArrival(cutAfter3s(), THROUGH_NGINX));
    const cause = d.causes[0];
    assert.equal(cause?.suspected, false);
    assert.deepEqual(cause.hops, ['nginx']);
    assert.match(cause.fixes[0]?.snippet ?? '', /proxy_read_timeout 3600s/);
  });

  it("nginx's own 4 KiB buffer stays nginx's, whatever else is on the path", () => {
    const probe: ProbeShape = { events: 30, intervalMs: 100, pad: 512, silenceMs: 0 };
    const arrivals: number[] = [];
    let held = 0;
    scheduleOf(probe).forEach((sent, i) => {
      held++;
      if (held * 592 >= 4096 || i === probe.events - 1) {
        for (let k = 0; k < held; k++) arrivals.push(sent + 3);
        held = 0;
      }
    });
    const timeline = probeTimeline({ probe, arrivals, headers: NGINX_HEADERS });
    const d = classify(withArrival(timeline, LOWER));
    assert.equal(d.causes[0]?.id, 'size-bursts');
    assert.equal(d.causes[0].suspected, false);
    assert.deepEqual(d.causes[0].hops, ['nginx']);
  });

  it('a whole stream held with a silent hop behind nginx: not pinned', () => {
    const probe: ProbeShape = { events: 30, intervalMs: 100, pad: 0, silenceMs: 0 };
    const timeline = probeTimeline({
      probe,
      arrivals: scheduleOf(probe).map(() => 2905),
      headers: NGINX_HEADERS,
      headersMs: 2905,
    });
    const d = classify(withArrival(timeline, LOWER));
    assert.equal(d.verdict, 'buffered');
    assert.equal(d.causes[0]?.suspected, true);
    assert.match(d.causes[0].suspect ?? '', /a hop between nginx and Sluice/);
  });
});
