/** Language choice and the string tables. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { pickLang } from '../src/i18n/locale.ts';
import { format, STRINGS } from '../src/i18n/strings.ts';

it('follows the first English or Chinese preference, Simplified for any zh', () => {
  assert.equal(pickLang(['zh-CN', 'en']), 'zh-CN');
  assert.equal(pickLang(['zh-TW']), 'zh-CN');
  assert.equal(pickLang(['de-DE', 'en-GB', 'zh']), 'en');
  assert.equal(pickLang(['fr']), 'en');
});

it('has every Chinese string, with the same placeholders as the English one', () => {
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const [key, english] of Object.entries(STRINGS.en)) {
    const chinese = STRINGS['zh-CN'][key as keyof typeof STRINGS.en];
    assert.ok(chinese.length > 0, key);
    assert.deepEqual(placeholders(chinese), placeholders(english), key);
  }
  assert.equal(format('{a} of {b}', { a: 1 }), '1 of {b}');
});
