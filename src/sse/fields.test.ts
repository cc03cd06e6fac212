import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findField, parseEvent, valueIs, valueStartsWith } from './fields.ts';
import { formatComment, formatEvent } from './serialize.ts';

const b = (s: string) => Buffer.from(s);

describe('findField / valueIs', () => {
  it('finds a field on any line, with or without the space after the colon', () => {
    const block = b('id: 7\nevent:response.completed\ndata: {}\n\n');
    const at = findField(block, 0, block.length, b('event'));
    assert.ok(valueIs(block, at, block.length, b('response.completed')));
    assert.ok(
      !valueIs(block, at, block.length, b('response.complete')),
      'a prefix is not the value',
    );
  });

  it('does not mistake a longer field name or data content for the field', () => {
    const block = b('events: x\ndata: event: error\n\n');
    assert.equal(findField(block, 0, block.length, b('event')), -1);
  });

  it('stays inside the block it is given', () => {
    const buf = b('data: a\n\nevent: error\ndata: {}\n\n');
    assert.equal(findField(buf, 0, 9, b('event')), -1);
    assert.ok(valueIs(buf, findField(buf, 9, buf.length, b('event')), buf.length, b('error')));
  });

  it('reads values ended by CRLF', () => {
    const block = b('event: message_stop\r\ndata: {}\r\n\r\n');
    assert.ok(
      valueIs(
        block,
        findField(block, 0, block.length, b('event')),
        block.length,
        b('message_stop'),
      ),
    );
    assert.ok(valueStartsWith(block, findField(block, 0, block.length, b('data')), b('{')));
  });
});

describe('parseEvent', () => {
  it('follows the spec: joined data lines, one leading space removed, comments kept apart', () => {
    const event = parseEvent(
      b(': hi\nevent: e\ndata:  two spaces\ndata\ndata: x\nid: 3\nretry: 10\nretry: no\n\n'),
    );
    assert.deepEqual(event, {
      event: 'e',
      data: ' two spaces\n\nx',
      id: '3',
      retry: 10,
      comments: ['hi'],
    });
  });

  it('has no data for a comment-only block', () => {
    assert.equal(parseEvent(b(': keepalive\n\n')).data, undefined);
  });
});

describe('formatEvent / formatComment', () => {
  it('writes one data line per line and ends with a blank line', () => {
    assert.equal(
      formatEvent({ event: 'error', data: 'a\nb' }),
      'event: error\ndata: a\ndata: b\n\n',
    );
    assert.equal(formatComment('keepalive'), ': keepalive\n\n');
  });

  it('round-trips through the parser', () => {
    const data = JSON.stringify({ text: 'line\nbreak', n: 1 });
    assert.equal(parseEvent(b(formatEvent({ data, id: '1' }))).data, data);
  });

  it('refuses an event name that would break the framing', () => {
    assert.throws(() => formatEvent({ event: 'a\nb', data: '' }), TypeError);
  });
});
