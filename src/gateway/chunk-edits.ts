/**
 * The edits of the events one upstream chunk completed, in order, as the tap returned them:
 * where each edited event lies in the chunk and what the client gets instead. Nothing is
 * rewritten here: the sink frames the chunk with the edits applied, copying each kept byte once
 * (or writing views of it), so hiding usage costs no copy of its own.
 */
import type { EventEdit } from '../dialects/index.ts';

export class ChunkEdits {
  // Parallel lists, kept from chunk to chunk and never shortened (a shortened array gives its
  // memory back, to be allocated again by the next edit): only the first `size` entries count.
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  readonly #edits: (EventEdit | undefined)[] = [];
  #size = 0;

  /** How many events of the chunk are edited. */
  get size(): number {
    return this.#size;
  }

  /** The event `chunk[start, end)` reaches the client as `edit` says; events come in order. */
  add(start: number, end: number, edit: EventEdit): void {
    const i = this.#size++;
    this.#starts[i] = start;
    this.#ends[i] = end;
    this.#edits[i] = edit;
  }

  /** Forgets the edits (and lets go of what they held) for the next chunk. */
  clear(): void {
    for (let i = 0; i < this.#size; i++) this.#edits[i] = undefined;
    this.#size = 0;
  }

  /** The length of `chunk` with the edits applied. */
  length(chunk: Buffer): number {
    let length = chunk.length;
    for (let i = 0; i < this.#size; i++) {
      const edit = this.#edits[i] as EventEdit;
      const event = (this.#ends[i] as number) - (this.#starts[i] as number);
      if (edit.kind === 'cut') length -= edit.to - edit.from;
      else length += (edit.kind === 'replace' ? edit.bytes.length : 0) - event;
    }
    return length;
  }

  /** Copies `chunk`, edits applied, into `target` at `at`; returns the offset after it. */
  copy(chunk: Buffer, target: Buffer, at: number): number {
    let from = 0;
    for (let i = 0; i < this.#size; i++) {
      const edit = this.#edits[i] as EventEdit;
      const start = this.#starts[i] as number;
      if (edit.kind === 'cut') {
        at += chunk.copy(target, at, from, start + edit.from);
        from = start + edit.to;
        continue;
      }
      at += chunk.copy(target, at, from, start);
      if (edit.kind === 'replace') at += edit.bytes.copy(target, at);
      from = this.#ends[i] as number;
    }
    return at + chunk.copy(target, at, from);
  }

  /** `chunk`, edits applied, as views of it and of the replacements: nothing copied. */
  pieces(chunk: Buffer): Buffer[] {
    const pieces: Buffer[] = [];
    const keep = (from: number, to: number) => {
      if (to > from) pieces.push(chunk.subarray(from, to));
    };
    let from = 0;
    for (let i = 0; i < this.#size; i++) {
      const edit = this.#edits[i] as EventEdit;
      const start = this.#starts[i] as number;
      if (edit.kind === 'cut') {
        keep(from, start + edit.from);
        from = start + edit.to;
        continue;
      }
      keep(from, start);
      if (edit.kind === 'replace' && edit.bytes.length > 0) pieces.push(edit.bytes);
      from = this.#ends[i] as number;
    }
    keep(from, chunk.length);
    return pieces;
  }
}
