/**
 * The read buffer behind `IOStream`: a queue of received chunks that can be searched and
 * consumed from the front without copying what it does not have to.
 *
 * Chunks arrive from the socket as separate `Buffer`s. Keeping them as a list (rather than
 * appending to one growing array) means a read that falls inside the first chunk returns a
 * view of it with no copy, and a delimiter search only looks at bytes it has not looked at
 * before, so `readUntil` over many megabytes stays linear.
 * @module
 */

import { Buffer } from "node:buffer";

/**
 * A FIFO byte queue made of the chunks handed to {@link ReadBuffer.append}.
 *
 * @example
 * const buf = new ReadBuffer();
 * buf.append(Buffer.from("hello\r"));
 * buf.append(Buffer.from("\nworld"));
 * buf.indexOf(Buffer.from("\r\n"), 0); // 5
 * buf.take(7).toString();               // "hello\r\n"
 */
export class ReadBuffer {
  #chunks: Buffer[] = [];
  #size = 0;

  /** Number of bytes held. */
  get size(): number {
    return this.#size;
  }

  /** Adds a chunk at the end. The chunk is kept, not copied: the caller must not reuse it. */
  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  /**
   * Removes the first `n` bytes and returns them. A result inside one chunk is a view of that
   * chunk (socket chunks are never written to again, so the view stays valid).
   */
  take(n: number): Buffer {
    if (n <= 0) return Buffer.alloc(0);
    const first = this.#chunks[0]!;
    if (first.length === n) {
      this.#chunks.shift();
      this.#size -= n;
      return first;
    }
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      this.#size -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    this.#drainInto(out, n);
    return out;
  }

  /** Removes the first `n` bytes, copying them to the start of `target`. */
  takeInto(target: Uint8Array, n: number): void {
    if (n > 0) this.#drainInto(target, n);
  }

  /** Removes and returns everything held. */
  takeAll(): Buffer {
    return this.take(this.#size);
  }

  /** Puts every chunk back into `sink` in order and empties the buffer (used by `startTls`). */
  drainTo(sink: (chunk: Buffer) => void): void {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#size = 0;
    for (const c of chunks) sink(c);
  }

  /**
   * Position of the first occurrence of `needle` starting at or after byte `from`, or -1.
   * A match may straddle any number of chunks.
   */
  indexOf(needle: Uint8Array, from: number): number {
    const d = needle.length;
    if (d === 0) return from <= this.#size ? from : -1;
    let base = 0;
    for (const chunk of this.#chunks) {
      const end = base + chunk.length;
      if (end > from) {
        // A match that starts in earlier chunks and ends in this one: look at a window
        // spanning the boundary, only as wide as such a match can be.
        if (d > 1 && base > from) {
          const wStart = Math.max(from, base - (d - 1));
          const wEnd = Math.min(base + d - 1, this.#size);
          const i = this.slice(wStart, wEnd).indexOf(needle);
          if (i !== -1 && wStart + i < base) return wStart + i;
        }
        const i = chunk.indexOf(needle, Math.max(0, from - base));
        if (i !== -1) return base + i;
      }
      base = end;
    }
    return -1;
  }

  /** Bytes `[start, end)` without consuming them; a view when they sit in one chunk. */
  slice(start: number, end: number): Buffer {
    const parts: Buffer[] = [];
    let base = 0;
    for (const chunk of this.#chunks) {
      const cEnd = base + chunk.length;
      if (cEnd > start && base < end) {
        parts.push(chunk.subarray(Math.max(0, start - base), Math.min(chunk.length, end - base)));
      }
      if (cEnd >= end) break;
      base = cEnd;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * Everything held, decoded one character per byte, so that an index into the string is
   * an index into the bytes (what a regular expression over bytes needs). The chunks are
   * merged first, so a later call only pays for the chunks that arrived since.
   */
  latin1(): string {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks, this.#size)];
    return this.#chunks.length === 0 ? "" : this.#chunks[0]!.toString("latin1");
  }

  #drainInto(target: Uint8Array, n: number): void {
    let written = 0;
    while (written < n) {
      const chunk = this.#chunks[0]!;
      const want = n - written;
      if (chunk.length <= want) {
        target.set(chunk, written);
        written += chunk.length;
        this.#chunks.shift();
      } else {
        target.set(chunk.subarray(0, want), written);
        this.#chunks[0] = chunk.subarray(want);
        written = n;
      }
    }
    this.#size -= n;
  }
}
