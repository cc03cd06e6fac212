/**
 * The tokenizer's thread (`tokenizer-thread.ts` starts it): counts o200k_base tokens of each
 * text it is sent, `{id, text}` → `{id, count}`. Loading the tables (~350 ms) happens here too.
 */
import { parentPort } from 'node:worker_threads';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { piecesOf } from './token-pieces.ts';

parentPort?.on('message', ({ id, text }: { id: number; text: string }) => {
  let count = 0;
  for (const piece of piecesOf(text)) count += encode(piece).length;
  parentPort?.postMessage({ id, count });
});
