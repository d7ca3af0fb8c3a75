/**
 * sha1Hex: the digest of a body given as chunks must be node:crypto's SHA-1 of the bytes the
 * body is sent as — strings as TextEncoder encodes them, each chunk on its own.
 */
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { sha1Hex } from "../../src/core/sha1.js";

const encoder = new TextEncoder();

/** node:crypto's digest of the chunks, strings encoded by TextEncoder one chunk at a time. */
function reference(chunks: readonly (string | Uint8Array)[]): string {
  const h = createHash("sha1");
  for (const c of chunks) h.update(typeof c === "string" ? encoder.encode(c) : c);
  return h.digest("hex");
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7 + (i >> 3)) & 255);

// A deterministic pseudo-random generator, so a failure can be replayed.
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

describe("known digests", () => {
  test("empty input, however it is given", () => {
    const empty = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    expect(sha1Hex([])).toBe(empty);
    expect(sha1Hex([""])).toBe(empty);
    expect(sha1Hex([new Uint8Array(0), "", new Uint8Array(0)])).toBe(empty);
  });

  test("the FIPS 180 examples", () => {
    expect(sha1Hex(["abc"])).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(sha1Hex(["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"])).toBe("84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  });

  test("Hello world, as Tornado's compute_etag gives it (without the quotes)", () => {
    expect(sha1Hex(["Hello, world"])).toBe("e02aa1b106d5c7c6a98def2b13005d5b84fd8dc8");
  });
});

describe("lengths and chunks", () => {
  test("every length from 0 to 200 bytes, as bytes and as ASCII text", () => {
    for (let n = 0; n <= 200; n++) {
      const b = bytes(n);
      expect(sha1Hex([b]), `${n} bytes`).toBe(reference([b]));
      const s = "a1_".repeat(70).slice(0, n);
      expect(sha1Hex([s]), `${n} characters`).toBe(reference([s]));
    }
  });

  test("a body split in two at every boundary gives the digest of the whole", () => {
    const whole = bytes(200, 3);
    const want = reference([whole]);
    for (let i = 0; i <= whole.length; i++) {
      expect(sha1Hex([whole.subarray(0, i), whole.subarray(i)]), `split at ${i}`).toBe(want);
    }
  });

  test("text split at every boundary, and mixed with bytes", () => {
    const text = "0123456789abcdef".repeat(10) + "xyz";
    const want = reference([text]);
    for (let i = 0; i <= text.length; i++) {
      expect(sha1Hex([text.slice(0, i), text.slice(i)]), `split at ${i}`).toBe(want);
      expect(sha1Hex([encoder.encode(text.slice(0, i)), text.slice(i)]), `bytes then text at ${i}`).toBe(want);
    }
  });

  test("many one-byte chunks", () => {
    const whole = bytes(150, 5);
    expect(sha1Hex(Array.from(whole, (b) => Uint8Array.of(b)))).toBe(reference([whole]));
  });

  test("a byte chunk that is a view into a larger buffer hashes only its own bytes", () => {
    const buffer = bytes(300, 9);
    const view = buffer.subarray(37, 237);
    expect(sha1Hex([view])).toBe(reference([Uint8Array.from(view)]));
  });

  test("1 MiB, as bytes and as text", () => {
    const b = bytes(1 << 20, 11);
    expect(sha1Hex([b])).toBe(reference([b]));
    const s = "Cyclone é 中 😀 ".repeat(1 << 16).slice(0, 1 << 20);
    expect(sha1Hex([s])).toBe(reference([s]));
  });

  test("one call does not leak into the next", () => {
    const first = sha1Hex([bytes(100)]);
    sha1Hex(["something else entirely, long enough to fill more than one block of sixty-four bytes"]);
    expect(sha1Hex([bytes(100)])).toBe(first);
  });
});

describe("UTF-8", () => {
  // Short strings are encoded inline, long ones by TextEncoder.encodeInto: both must agree.
  const SHORT = ["é", "ß€", "中文", "😀", "a😀b", "\u0080\u07ff\u0800\uffff", "\u{10000}\u{10ffff}"];

  test.each(SHORT)("%s, short and repeated long", (s) => {
    expect(sha1Hex([s])).toBe(reference([s]));
    const long = s.repeat(Math.ceil(3000 / s.length));
    expect(sha1Hex([long])).toBe(reference([long]));
  });

  test.each([
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "a\udc00b"],
    ["a high surrogate at the end", "ab\ud83d"],
    ["a low surrogate at the start", "\ude00ab"],
    ["two high surrogates then a low one", "\ud83d\ud83d\ude00"],
    ["a reversed pair", "\ude00\ud83d"],
  ])("%s becomes U+FFFD, as TextEncoder encodes it", (_, s) => {
    expect(sha1Hex([s])).toBe(reference([s]));
    expect(sha1Hex([s])).toBe(sha1Hex([s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")]));
    const long = "x".repeat(100) + s + "y".repeat(100);
    expect(sha1Hex([long])).toBe(reference([long]));
  });

  test("a surrogate pair split between two chunks is two U+FFFD, as each chunk is sent", () => {
    expect(sha1Hex(["\ud83d", "\ude00"])).toBe(reference(["\ufffd\ufffd"]));
  });

  test("surrogate pairs at every position around the 1024-unit encoding pieces", () => {
    for (let at = 1015; at <= 1030; at++) {
      const s = "x".repeat(at) + "😀" + "y".repeat(40) + "😀";
      expect(sha1Hex([s]), `pair at ${at}`).toBe(reference([s]));
      const lone = "x".repeat(at) + "\ud83d" + "y".repeat(40);
      expect(sha1Hex([lone]), `lone high surrogate at ${at}`).toBe(reference([lone]));
    }
  });

  test("random text of random code units in random chunks", () => {
    const rand = rng(4242);
    const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xfffd, 0xffff, 0xd83d, 0xde00, 0xdbff, 0xdc00];
    for (let k = 0; k < 300; k++) {
      const chunks: (string | Uint8Array)[] = [];
      for (let c = Math.floor(rand() * 4); c >= 0; c--) {
        if (rand() < 0.25) {
          chunks.push(bytes(Math.floor(rand() * 130), k));
          continue;
        }
        const n = Math.floor(rand() * (rand() < 0.2 ? 2100 : 90));
        chunks.push(String.fromCharCode(...Array.from({ length: n }, () => units[Math.floor(rand() * units.length)]!)));
      }
      expect(sha1Hex(chunks), `case ${k}`).toBe(reference(chunks));
    }
  });
});
