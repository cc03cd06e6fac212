/** Polls a log until it shows something: services write some lines only after the response. */
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitForText(
  read: () => string,
  pattern: RegExp | string,
  options: { readonly timeoutMs?: number } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = read();
    if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
    if (Date.now() >= deadline) {
      throw new Error(
        `log never showed ${String(pattern)} within ${timeoutMs} ms; it holds:\n${text}`,
      );
    }
    await sleep(25);
  }
}
