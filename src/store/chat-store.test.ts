import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDatabase } from '../../test/support/postgres.ts';
import { openStore, type Store } from './index.ts';

const backends = [
  {
    name: 'sqlite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'sluice-chat-store-'));
      return {
        store: await openStore({ dataDir: dir }),
        dispose: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const database = await testDatabase();
      return {
        store: await openStore({ dataDir: '/nonexistent', databaseUrl: database.url }),
        dispose: () => database.drop(),
      };
    },
  },
];

for (const backend of backends) {
  describe(`chat store (${backend.name})`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    let userId: string;

    before(async () => {
      ({ store, dispose } = await backend.open());
      userId = (await store.createUser({ username: 'ada', passwordHash: 'h' })).id;
    });
    after(async () => {
      await store.close();
      await dispose();
    });

    it('keeps sessions with their user, and revokes one or all', async () => {
      const session = await store.createSession({
        id: 'hash-1',
        userId,
        csrf: 'c1',
        expiresAt: Date.now() + 1000,
        ip: '127.0.0.1',
        userAgent: 'test',
      });
      await store.createSession({
        id: 'hash-2',
        userId,
        csrf: 'c2',
        expiresAt: Date.now() + 1000,
        ip: null,
        userAgent: null,
      });
      const found = await store.findSession('hash-1');
      assert.deepEqual(found?.session, session);
      assert.equal(found.user.username, 'ada');
      await store.touchSession('hash-1', session.lastSeenAt + 5);
      assert.equal((await store.findSession('hash-1'))?.session.lastSeenAt, session.lastSeenAt + 5);
      await store.revokeSession('hash-1', 42);
      assert.equal((await store.findSession('hash-1'))?.session.revokedAt, 42);
      await store.revokeUserSessions(userId, 43);
      assert.equal(
        (await store.findSession('hash-1'))?.session.revokedAt,
        42,
        'the first revocation stands',
      );
      assert.equal((await store.findSession('hash-2'))?.session.revokedAt, 43);
      assert.equal(await store.findSession('nope'), undefined);
    });

    it('keeps conversations and their messages in order, newest conversation first', async () => {
      const first = await store.createConversation({
        userId,
        title: 'First',
        model: 'sluice-demo',
      });
      const second = await store.createConversation({ userId, title: 'Second', model: null });
      // Times are whole milliseconds: let the clock move on so the new message is later.
      while (Date.now() <= second.updatedAt) await new Promise((r) => setImmediate(r));
      const question = await store.addMessage({
        conversationId: first.id,
        role: 'user',
        content: 'Hi?',
        status: 'complete',
        model: null,
      });
      const answer = await store.addMessage({
        conversationId: first.id,
        role: 'assistant',
        content: '',
        status: 'streaming',
        model: 'sluice-demo',
      });
      await store.updateMessage(answer.id, {
        content: 'Hel',
        status: 'stopped',
        requestId: 'req_1',
      });
      const messages = await store.listMessages(first.id);
      assert.deepEqual(
        messages.map((m) => [m.role, m.content, m.status, m.requestId]),
        [
          ['user', 'Hi?', 'complete', null],
          ['assistant', 'Hel', 'stopped', 'req_1'],
        ],
      );
      assert.equal(messages[0]?.id, question.id);
      assert.deepEqual(
        (await store.listConversations(userId)).map((c) => c.id),
        [first.id, second.id],
        'a new message moves it up',
      );

      const renamed = await store.updateConversation(second.id, { title: 'Renamed' });
      assert.equal(renamed?.title, 'Renamed');
      await store.deleteMessage(answer.id);
      assert.equal((await store.listMessages(first.id)).length, 1);
      await store.deleteConversation(first.id);
      assert.equal(await store.getConversation(first.id), undefined);
      assert.deepEqual(await store.listMessages(first.id), []);
    });
  });
}
