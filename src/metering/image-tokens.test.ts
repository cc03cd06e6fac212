/**
 * Image sizes read from the headers of images made by real encoders (ImageMagick, cwebp; each
 * file named by the size `identify` gave), and OpenAI's tile arithmetic for their tokens.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  dataUrlBase64,
  imageSize,
  imageTokens,
  tokensFor,
  UNKNOWN_IMAGE_TOKENS,
} from './image-tokens.ts';

const DIR = new URL('../../test/fixtures/images/', import.meta.url);
const FIXTURES = readdirSync(DIR);

describe('image sizes, from the image’s own header', () => {
  it('has a fixture of every format the chat APIs take', () => {
    for (const ext of ['.png', '.jpg', '.gif', '-lossy.webp', '-lossless.webp', '-alpha.webp'])
      assert.ok(
        FIXTURES.some((f) => f.endsWith(ext)),
        ext,
      );
  });

  for (const file of FIXTURES) {
    it(file, () => {
      const [width, height] = (file.match(/^(\d+)x(\d+)/) ?? []).slice(1).map(Number);
      assert.deepEqual(imageSize(readFileSync(new URL(file, DIR))), { width, height });
    });
  }

  it('says nothing for what is not an image, or is cut before its size', () => {
    const png = readFileSync(new URL('1500x900.png', DIR));
    for (const bytes of [Buffer.from('hello world, not an image'), png.subarray(0, 20)])
      assert.equal(imageSize(bytes), undefined);
  });
});

describe('image tokens, as OpenAI counts them', () => {
  it('tiles of 512 after fitting 2048 and scaling the shorter side to 768', () => {
    // OpenAI's own worked examples.
    assert.equal(tokensFor({ width: 1024, height: 1024 }), 765);
    assert.equal(tokensFor({ width: 2048, height: 4096 }), 1105);
    assert.equal(tokensFor({ width: 512, height: 512 }), 255);
    assert.equal(UNKNOWN_IMAGE_TOKENS, 765);
  });

  it('reads an inline image’s size; low detail is 85 whatever the size; a URL is 1024 square', () => {
    const jpeg = readFileSync(new URL('4000x3000-after-a-20k-comment.head.jpg', DIR));
    const url = `data:image/jpeg;base64,${jpeg.toString('base64')}`;
    const base64 = dataUrlBase64(url);
    assert.equal(base64, jpeg.toString('base64'));
    // 4000 × 3000 → 2048 × 1536 → 1024 × 768: 2 × 2 tiles.
    assert.equal(imageTokens(base64), 765);
    assert.equal(imageTokens(base64, 'low'), 85);
    assert.equal(imageTokens(dataUrlBase64('https://example.com/cat.png')), 765);
    assert.equal(dataUrlBase64('data:text/plain,hello'), undefined);
  });
});
