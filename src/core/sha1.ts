/**
 * SHA-1, one-shot, over a response body's chunks — what Tornado's `compute_etag` hashes.
 *
 * Workers have no synchronous native hash, and an ETag is computed on every response, so
 * this is small and tuned for that one job: text is encoded as UTF-8 into a reused buffer
 * (inline when short, by `TextEncoder.encodeInto` when long; lone surrogates become U+FFFD
 * either way), whole blocks of bytes are hashed where they lie, blocks are read as words
 * by shifts (no `DataView`), and one 80-word schedule is reused for every block. SHA-1 is
 * fit for ETags, which only need to notice a change; it is not a security primitive here.
 * @module
 */

// The message schedule and the 64-byte block being filled, reused by every call: the hash
// is synchronous, so no two calls ever share them at once.
const W = new Int32Array(80);
const block = new Uint8Array(64);
// Text is encoded this many UTF-16 code units at a time (at most 3 bytes each, plus one
// surrogate pair carried over a piece's end).
const PIECE = 1024;
const text = new Uint8Array(3 * PIECE + 4);
// The chaining state. A typed array, not module-level `let`s: V8 guards every access to
// those (they could be read before initialisation), which made a block three times slower.
const H = new Int32Array(5);
const encoder = new TextEncoder();

function compress(b: Uint8Array, o: number): void {
  const w = W;
  for (let t = 0; t < 16; t++, o += 4) w[t] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = H[0]!;
  let b1 = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  // Four rounds of twenty steps, each its own loop: a branch per step costs more than the code.
  let t = 0;
  for (; t < 20; t++) {
    const x = (((a << 5) | (a >>> 27)) + ((b1 & c) | (~b1 & d)) + e + w[t]! + 0x5a827999) | 0;
    e = d;
    d = c;
    c = (b1 << 30) | (b1 >>> 2);
    b1 = a;
    a = x;
  }
  for (; t < 40; t++) {
    const x = (((a << 5) | (a >>> 27)) + (b1 ^ c ^ d) + e + w[t]! + 0x6ed9eba1) | 0;
    e = d;
    d = c;
    c = (b1 << 30) | (b1 >>> 2);
    b1 = a;
    a = x;
  }
  for (; t < 60; t++) {
    const x = (((a << 5) | (a >>> 27)) + ((b1 & c) | (b1 & d) | (c & d)) + e + w[t]! - 0x70e44324) | 0;
    e = d;
    d = c;
    c = (b1 << 30) | (b1 >>> 2);
    b1 = a;
    a = x;
  }
  for (; t < 80; t++) {
    const x = (((a << 5) | (a >>> 27)) + (b1 ^ c ^ d) + e + w[t]! - 0x359d3e2a) | 0;
    e = d;
    d = c;
    c = (b1 << 30) | (b1 >>> 2);
    b1 = a;
    a = x;
  }
  H[0] += a;
  H[1] += b1;
  H[2] += c;
  H[3] += d;
  H[4] += e;
}

// Feeds bytes src[off, end) after `fill` bytes already in `block`: whole blocks straight
// from `src`, the rest through `block`. Returns how full `block` is then.
function update(src: Uint8Array, off: number, end: number, fill: number): number {
  if (fill > 0) {
    while (fill < 64 && off < end) block[fill++] = src[off++]!;
    if (fill < 64) return fill;
    compress(block, 0);
    fill = 0;
  }
  for (; end - off >= 64; off += 64) compress(src, off);
  while (off < end) block[fill++] = src[off++]!;
  return fill;
}

// Encodes s[from, to) as UTF-8 into `text`; returns the byte count.
function utf8(s: string, from: number, to: number): number {
  const out = text;
  let p = 0;
  for (let i = from; i < to; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) out[p++] = c;
    else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c < 0xe000) {
        const n = c < 0xdc00 && i + 1 < to ? s.charCodeAt(i + 1) : 0;
        if (n >= 0xdc00 && n < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (n - 0xdc00);
          i++;
          out[p++] = 0xf0 | (c >> 18);
          out[p++] = 0x80 | ((c >> 12) & 63);
          out[p++] = 0x80 | ((c >> 6) & 63);
          out[p++] = 0x80 | (c & 63);
          continue;
        }
        c = 0xfffd;
      }
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 63);
      out[p++] = 0x80 | (c & 63);
    }
  }
  return p;
}

// Two hex digits per byte value: a lookup is about eight times faster than toString(16).
const HEX = Array.from({ length: 256 }, (_, i) => (i + 256).toString(16).slice(1));

function hex(x: number): string {
  return HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;
}

/**
 * The SHA-1 digest, as 40 lowercase hex digits, of the concatenation of `chunks`; strings
 * are hashed as their UTF-8 bytes (lone surrogates as U+FFFD, as `TextEncoder` encodes
 * them). Synchronous and allocation-light: the default ETag of a response is this digest of
 * its body.
 *
 * @example
 * sha1Hex(["Hello, ", new TextEncoder().encode("world!")]);
 * // "943a702d06f34599aee1f8da8ef9f7296031d699", as sha1Hex(["Hello, world!"])
 */
export function sha1Hex(chunks: readonly (string | Uint8Array)[]): string {
  H[0] = 0x67452301;
  H[1] = 0xefcdab89;
  H[2] = 0x98badcfe;
  H[3] = 0x10325476;
  H[4] = 0xc3d2e1f0;
  let fill = 0;
  let bytes = 0;
  for (const c of chunks) {
    if (typeof c !== "string") {
      fill = update(c, 0, c.length, fill);
      bytes += c.length;
      continue;
    }
    for (let from = 0; from < c.length; ) {
      let to = Math.min(from + PIECE, c.length);
      // Never split a surrogate pair between two pieces.
      const last = c.charCodeAt(to - 1);
      if (to < c.length && last >= 0xd800 && last < 0xdc00) to++;
      // Native encodeInto wins on long text; below this its call costs more than it saves.
      const n = to - from > 64 ? encoder.encodeInto(c.slice(from, to), text).written : utf8(c, from, to);
      fill = update(text, 0, n, fill);
      bytes += n;
      from = to;
    }
  }
  // Padding: a 1 bit, zeros, then the length in bits as a 64-bit big-endian number.
  block[fill++] = 0x80;
  if (fill > 56) {
    block.fill(0, fill);
    compress(block, 0);
    fill = 0;
  }
  block.fill(0, fill, 56);
  const hi = Math.floor(bytes / 0x20000000);
  const lo = (bytes * 8) >>> 0;
  for (let i = 0; i < 4; i++) {
    block[56 + i] = hi >>> (24 - 8 * i);
    block[60 + i] = lo >>> (24 - 8 * i);
  }
  compress(block, 0);
  return hex(H[0]!) + hex(H[1]!) + hex(H[2]!) + hex(H[3]!) + hex(H[4]!);
}
