import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { PIECE_CHARS, piecesOf } from './token-pieces.ts';
import { roughCount, TokenizerThread } from './tokenizer-thread.ts';
import { countTokens } from './tokens.ts';

/** Chinese prose run together without punctuation: the tokenizer's slow case, sampled size. */
const RUN_TOGETHER = '我们在这里讨论的是一个关于流式传输的网关它必须在每一跳都保持数据流动'
  .repeat(3000)
  .slice(0, 100_000);

describe('the tokenizer thread', () => {
  const thread = new TokenizerThread();
  after(() => thread.close());

  it('counts as the tokenizer does', async () => {
    const text = 'Streaming works end to end. '.repeat(500);
    assert.equal(await thread.count(text), encode(text).length);
  });

  it('the event loop turns while a slow text is counted (on the loop it stalled every stream)', async () => {
    await countTokens('warm'); // the tokenizer loaded
    let turns = 0;
    let counting = true;
    const spin = () => {
      if (!counting) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const count = await countTokens(RUN_TOGETHER);
    counting = false;
    assert.ok(count > 10_000, `${count}`);
    assert.ok(turns > 0, 'no turn of the loop while counting: it was counted on the loop');
  });

  it('a thread killed mid-count answers roughly; the next count starts a new one', async () => {
    const text = 'a b c d '.repeat(10_000);
    const pending = thread.count(text);
    await thread.close();
    assert.equal(await pending, roughCount(text));
    assert.equal(await thread.count('Hello world, streaming works!'), 6);
  });

  it('a thread that cannot run answers roughly, never fails the count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-tokenizer-'));
    try {
      const script = join(dir, 'failing.mjs');
      writeFileSync(script, 'throw new Error("no tokenizer here");\n');
      const failing = new TokenizerThread(pathToFileURL(script));
      assert.equal(await failing.count('abcd efgh'), 3);
      assert.equal(await failing.count('abcd'), 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an idle thread does not keep the process alive', () => {
    const tokens = new URL('./tokens.ts', import.meta.url).href;
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { countTokens } = await import(${JSON.stringify(tokens)}); console.log(await countTokens('Hello world, streaming works!'));`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(out.trim(), '6');
  });
});

describe('pieces of a text for the tokenizer', () => {
  const pieces = (text: string) => [...piecesOf(text)];

  it('rejoin to the text; none longer than a piece, none ending inside a surrogate pair', () => {
    for (const text of ['', 'short', 'x'.repeat(PIECE_CHARS * 3 + 7), '😀'.repeat(PIECE_CHARS)]) {
      const cut = pieces(text);
      assert.equal(cut.join(''), text);
      for (const piece of cut) {
        assert.ok(piece.length <= PIECE_CHARS);
        assert.ok(!/[\uD800-\uDBFF]$/.test(piece), 'a piece ends in half a character');
      }
    }
  });

  it('prose counts in pieces as it does whole: cut before a space', () => {
    const prose = 'The quick brown fox jumps over the lazy dog, again and again.\n'.repeat(400);
    const inPieces = pieces(prose).reduce((sum, piece) => sum + encode(piece).length, 0);
    assert.ok(pieces(prose).length > 5);
    assert.equal(inPieces, encode(prose).length);
  });
});
