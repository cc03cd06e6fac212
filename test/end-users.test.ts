/**
 * The provider is told which of Sluice's users asked — the caller's own identifier, never one
 * a client wrote — so its abuse checks act on that user, not on the account every user shares,
 * and no user can have another blocked by naming them. Upstreams that refuse fields they do not
 * know (Google's) get nothing added.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { claudeMessage } from './support/chat-fixtures.ts';
import {
  type FakeUpstream,
  type UpstreamCall,
  startFakeUpstream,
} from './support/fake-upstream.ts';
import { makeScratchDir, type ScratchDir } from './support/scratch-dir.ts';
import { keyFor, startTestSluice, type TestSluice } from './support/sluice.ts';

let upstream: FakeUpstream;
let sluice: TestSluice;
let dir: ScratchDir;

const chatAnswer = {
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

before(async () => {
  upstream = await startFakeUpstream(({ res, path }: UpstreamCall) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const answer = path.endsWith('/messages')
      ? claudeMessage('ok', { input_tokens: 3, output_tokens: 1 })
      : chatAnswer;
    res.end(JSON.stringify(answer));
  });
  dir = await makeScratchDir('end-users');
  const file = dir.file('sluice.json');
  writeFileSync(
    file,
    JSON.stringify({
      upstreams: [
        // OpenAI's and Anthropic's own APIs take end users by default; these stand in for them.
        {
          name: 'openai',
          baseUrl: `${upstream.origin}/v1`,
          apiKey: 'sk-o',
          models: ['gpt-*'],
          endUsers: true,
        },
        {
          name: 'claude',
          family: 'anthropic',
          baseUrl: upstream.origin,
          apiKey: 'sk-a',
          models: ['claude-*'],
          endUsers: true,
        },
        // Any other host, by default: Google answers 400 to a field it does not know.
        {
          name: 'gemini',
          baseUrl: `${upstream.origin}/v1beta/openai`,
          apiKey: 'g',
          models: ['gemini-*'],
        },
      ],
    }),
  );
  sluice = await startTestSluice({ SLUICE_CONFIG: file });
});
after(async () => {
  await sluice.stop();
  await upstream.stop();
  await dir.remove();
});

/** What the upstream got for one JSON request to `path` with `key`. */
async function sent(key: string, path: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${sluice.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  await response.text();
  const call = upstream.calls.at(-1);
  assert.ok(call?.json);
  return call.json;
}

async function idOf(username: string): Promise<string> {
  const user = await sluice.running.store.findUserByName(username);
  assert.ok(user);
  return user.id;
}

const messages = [{ role: 'user', content: 'hi' }];

describe('the provider is told which user asked', () => {
  it("a chat carries the caller's own safety_identifier, whatever the client wrote", async () => {
    const ada = await keyFor(sluice, 'ada');
    const eve = await keyFor(sluice, 'eve');
    const adaId = await idOf('ada');
    const eveId = await idOf('eve');
    const plain = await sent(ada, '/chat/completions', { model: 'gpt-4.1', messages });
    assert.equal(plain.safety_identifier, `sluice-${adaId}`);
    assert.equal('user' in plain, false, 'no user field added');

    // An app's own end users stay apart, under the caller, the same each time.
    const app = { model: 'gpt-4.1', messages, safety_identifier: 'end-user-7', user: 'end-user-7' };
    const first = await sent(ada, '/chat/completions', app);
    const again = await sent(ada, '/chat/completions', app);
    assert.match(String(first.safety_identifier), new RegExp(`^sluice-${adaId}-[0-9a-f]{16}$`));
    assert.equal(first.user, first.safety_identifier);
    assert.equal(again.safety_identifier, first.safety_identifier);
    const other = await sent(ada, '/chat/completions', { ...app, safety_identifier: 'end-user-8' });
    assert.notEqual(other.safety_identifier, first.safety_identifier);

    // Eve cannot speak for ada, nor share an identifier with her by writing the same one.
    const posing = await sent(eve, '/chat/completions', {
      model: 'gpt-4.1',
      messages,
      safety_identifier: `sluice-${adaId}`,
      user: 'end-user-7',
    });
    assert.match(String(posing.safety_identifier), new RegExp(`^sluice-${eveId}-`));
    assert.notEqual(posing.user, first.user);

    const responses = await sent(ada, '/responses', { model: 'gpt-4.1', input: 'hi' });
    assert.equal(responses.safety_identifier, `sluice-${adaId}`);
  });

  it('Anthropic gets it as metadata.user_id, also for a Chat client translated to Messages', async () => {
    const ada = await keyFor(sluice, 'ada');
    const adaId = await idOf('ada');
    const claude = { model: 'claude-sonnet-4-5', max_tokens: 16, messages };
    const native = await sent(ada, '/messages', claude);
    assert.deepEqual(native.metadata, { user_id: `sluice-${adaId}` });
    const own = await sent(ada, '/messages', { ...claude, metadata: { user_id: 'u-1' } });
    assert.match(
      String((own.metadata as { user_id: unknown }).user_id),
      new RegExp(`^sluice-${adaId}-[0-9a-f]{16}$`),
    );
    const translated = await sent(ada, '/chat/completions', {
      model: 'claude-sonnet-4-5',
      messages,
      user: 'u-1',
    });
    assert.equal(upstream.calls.at(-1)?.path, '/v1/messages');
    assert.deepEqual(translated.metadata, { user_id: `sluice-${adaId}` });
  });

  it("an upstream that does not take them gets the client's body as it was", async () => {
    const ada = await keyFor(sluice, 'ada');
    const body = { model: 'gemini-2.5-flash', messages, user: 'end-user-7' };
    const got = await sent(ada, '/chat/completions', body);
    assert.deepEqual(got, body);
  });
});
