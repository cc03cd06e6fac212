/** The page's addresses: each admin tab has its own, unknown ones fall back to the chat. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ADMIN_TABS, parseRoute, routePath } from '../src/route.ts';

it('gives every admin tab its own address, and reads it back', () => {
  for (const tab of ADMIN_TABS) {
    assert.deepEqual(parseRoute(routePath({ page: 'admin', tab })), { page: 'admin', tab });
  }
  assert.deepEqual(parseRoute('/admin/requests/'), { page: 'admin', tab: 'requests' });
  assert.deepEqual(parseRoute('/admin'), { page: 'admin', tab: 'users' });
});

it('sends an unknown address to a new chat', () => {
  assert.deepEqual(parseRoute('/admin/nothing'), { page: 'chat', conversationId: null });
  assert.deepEqual(parseRoute('/c/abc-1'), { page: 'chat', conversationId: 'abc-1' });
});

it('gives the stream test its own address, open to anyone', () => {
  assert.deepEqual(parseRoute('/doctor'), { page: 'doctor' });
  assert.deepEqual(parseRoute('/doctor/'), { page: 'doctor' });
  assert.equal(routePath({ page: 'doctor' }), '/doctor');
  assert.deepEqual(parseRoute('/doctors'), { page: 'chat', conversationId: null });
});
