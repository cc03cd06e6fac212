/**
 * Reads spent budget from the usage store when a period's counter does not exist yet. Concurrent
 * admissions for the same counter share one read, so a burst of first requests asks the store
 * once; backends then set the counter only if it is still absent, so two reads never add up.
 */
import type { BudgetSource, Subject } from './types.ts';

export interface Spent {
  readonly tokens: number;
  readonly cost: number;
}

export class BudgetLoader {
  readonly #source: BudgetSource;
  readonly #pending = new Map<string, Promise<Spent>>();

  constructor(source: BudgetSource) {
    this.#source = source;
  }

  load(counterKey: string, subject: Subject, periodStart: number): Promise<Spent> {
    const pending = this.#pending.get(counterKey);
    if (pending !== undefined) return pending;
    const read = this.#read(subject, periodStart).finally(() => {
      this.#pending.delete(counterKey);
    });
    this.#pending.set(counterKey, read);
    return read;
  }

  async #read(subject: Subject, periodStart: number): Promise<Spent> {
    const { tokens, cost } = await this.#source(subject, periodStart);
    // A NaN here would make every later comparison false and the budget unenforced.
    if (!Number.isFinite(tokens) || !Number.isFinite(cost)) {
      throw new TypeError(
        `budgetSource gave non-finite usage for ${subject.kind} ${subject.id}: tokens ${tokens}, cost ${cost}.`,
      );
    }
    return { tokens, cost };
  }
}
