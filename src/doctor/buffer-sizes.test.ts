/**
 * Size-quantised bursts explained in the terms of the hop they are blamed on (issue 15: plain
 * nginx over TLS, bursting at 16 KiB, was told "express compression or a TLS record").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bufferHint, withBufferHint } from './buffer-sizes.ts';
import type { Cause } from './diagnosis.ts';
import type { Timeline } from './timeline.ts';

const KIB = 1024;

describe('buffer hints', () => {
  it('nginx: one page by default, larger when configured, 16 KiB TLS records over https', () => {
    assert.match(bufferHint(4 * KIB, ['nginx'], false) ?? '', /one memory page, the default/);
    assert.match(bufferHint(16 * KIB, ['nginx'], false) ?? '', /set larger than the one-page/);
    assert.match(bufferHint(16 * KIB, ['nginx'], true) ?? '', /TLS records of ssl_buffer_size/);
    assert.match(bufferHint(4 * KIB, ['openresty'], true) ?? '', /one memory page/);
  });

  it('other hops in their own terms; the first blamed hop with a known buffer decides', () => {
    assert.match(bufferHint(16 * KIB, ['haproxy'], false) ?? '', /tune\.bufsize/);
    assert.match(bufferHint(8 * KIB, ['apache'], false) ?? '', /ProxyIOBufferSize/);
    assert.match(bufferHint(16 * KIB, ['express'], false) ?? '', /zlib chunk/);
    assert.match(bufferHint(16 * KIB, ['cloudflare', 'nginx'], true) ?? '', /ssl_buffer_size/);
  });

  it('a named hop without a known buffer is not swapped for another product', () => {
    const hint = bufferHint(4 * KIB, ['squid'], false) ?? '';
    assert.equal(hint, 'a buffer in Squid or in a hop behind it');
    assert.doesNotMatch(hint, /nginx/);
  });

  it('no hop blamed: the guesses by size alone', () => {
    assert.match(bufferHint(4 * KIB, [], false) ?? '', /nginx proxy_buffer_size/);
    assert.match(
      bufferHint(16 * KIB, [], true) ?? '',
      /zlib chunk.*tune\.bufsize.*ssl_buffer_size/,
    );
    assert.match(bufferHint(32 * KIB, [], false) ?? '', /Starlette/);
    assert.equal(bufferHint(100 * KIB, [], false), undefined);
  });

  it('withBufferHint adds the hint to size-bursts titles only', () => {
    const cause: Cause = {
      id: 'size-bursts',
      severity: 'problem',
      title: 'size-quantised bursts: a buffer of 16 KiB releases events when it fills',
      evidence: [],
      measures: { buffer_bytes: 16 * KIB },
      hops: ['nginx'],
      suspected: false,
      fixes: [],
    };
    const timeline = { url: 'https://chat.example.com/sluice/probe' } as Timeline;
    assert.equal(
      withBufferHint(cause, timeline).title,
      `${cause.title} (nginx proxy buffering, sent on in TLS records of ssl_buffer_size, 16 KiB by default)`,
    );
    const other: Cause = { ...cause, id: 'fully-buffered' };
    assert.equal(withBufferHint(other, timeline), other);
  });
});
