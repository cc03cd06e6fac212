import assert from 'node:assert/strict';
import { it } from 'node:test';
import { bearerMatches } from './metrics-access.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

it('takes exactly `Bearer <token>` and nothing else', () => {
  assert.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true);
  for (const header of [
    undefined,
    '',
    'Bearer',
    'Bearer ',
    TOKEN,
    `bearer ${TOKEN}`,
    `BEARER ${TOKEN}`,
    `Bearer  ${TOKEN}`,
    `Bearer\t${TOKEN}`,
    `Bearer ${TOKEN} `,
    `Bearer ${TOKEN}x`,
    `Bearer ${TOKEN.slice(1)}`,
    `Basic ${TOKEN}`,
    `Bearer ${TOKEN}, Bearer ${TOKEN}`,
  ])
    assert.equal(bearerMatches(header, TOKEN), false, JSON.stringify(header));
});
