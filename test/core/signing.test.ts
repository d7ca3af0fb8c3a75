// Specification of src/core/signing.ts: Tornado's signed values and XSRF tokens, checked
// against strings made by Tornado 6.2 itself (test/fixtures/tornado-vectors.json and
// tornado-signing-extra.json) and against tornado/test/web_test.py's SignedValueTest.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import extra from "../fixtures/tornado-signing-extra.json" with { type: "json" };
import vectors from "../fixtures/tornado-vectors.json" with { type: "json" };
import { genLog, type LogRecord } from "../../src/core/log.js";
import {
  type CookieSecret,
  createSignedValue,
  decodeSignedValue,
  decodeSignedValueBytes,
  decodeXsrfToken,
  encodeXsrfToken,
  getSignatureKeyVersion,
  newXsrfToken,
  SigningError,
  xsrfTokensEqual,
} from "../../src/core/signing.js";

const hex = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString("hex"));
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
const clockAt = (t: number) => (): number => t;
const NOW = vectors.clock;

/** JSON objects have string keys; Tornado's key maps have integer keys. */
function secretOf(s: string | Readonly<Record<string, string | undefined>>): CookieSecret {
  if (typeof s === "string") return s;
  return Object.fromEntries(Object.entries(s).flatMap(([k, v]) => (v === undefined ? [] : [[Number(k), v]])));
}

let logged: LogRecord[] = [];
const capture = (r: LogRecord): void => void logged.push(r);
beforeEach(() => {
  logged = [];
  genLog.addHandler(capture);
});
afterEach(() => genLog.removeHandler(capture));

describe("createSignedValue matches Tornado byte for byte", () => {
  it.each(vectors.signed.map((v, i) => [i, v] as const))("fixture signed[%i]", (_i, v) => {
    const keyVersion = "key_version" in v ? v.key_version : undefined;
    const made = createSignedValue(secretOf(v.secret), v.name, v.value, {
      version: v.version as 1 | 2,
      clock: clockAt(NOW),
      ...(keyVersion !== undefined ? { keyVersion } : {}),
    });
    expect(made).toBe(v.signed);
  });

  it.each(extra.create.map((v) => [v.label, v] as const))("%s", (_label, v) => {
    const made = createSignedValue(secretOf(v.secret), v.name, fromHex(v.value_hex), {
      ...(v.version !== null ? { version: v.version as 1 | 2 } : {}),
      ...(v.key_version !== null ? { keyVersion: v.key_version } : {}),
      clock: clockAt(NOW),
    });
    expect(made).toBe(v.signed);
  });

  it("reproduces web_test.py's known values", () => {
    const secret = "It's a secret to everybody";
    const present = clockAt(1300000000);
    expect(createSignedValue(secret, "key", "value", { version: 1, clock: present })).toBe(
      "dmFsdWU=|1300000000|31c934969f53e48164c50768b40cbd7e2daaaa4f",
    );
    expect(createSignedValue(secret, "key", "value", { clock: present })).toBe(
      "2|1:0|10:1300000000|3:key|8:dmFsdWU=|3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152",
    );
  });

  it("truncates a fractional clock toward zero, as int()", () => {
    const a = createSignedValue("s", "n", "v", { clock: clockAt(1764000000.999) });
    expect(a).toContain("|10:1764000000|");
  });

  it("uses the system clock by default", () => {
    const before = Math.floor(Date.now() / 1000);
    const stamp = Number(createSignedValue("s", "n", "v").split("|")[2]!.split(":")[1]);
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it("takes a byte secret as the same key as its text", () => {
    const opts = { clock: clockAt(NOW) };
    expect(createSignedValue(new TextEncoder().encode("a-secret"), "user", "value", opts)).toBe(
      createSignedValue("a-secret", "user", "value", opts),
    );
  });
});

describe("createSignedValue refuses misuse", () => {
  it("refuses an unknown version", () => {
    expect(() => createSignedValue("s", "n", "v", { version: 3 as 2 })).toThrow(new SigningError("Unsupported version 3"));
  });

  it("refuses version 1 with a key map", () => {
    expect(() => createSignedValue({ 0: "a" }, "n", "v", { version: 1, keyVersion: 0 })).toThrow(SigningError);
  });

  it("requires a key version with a key map", () => {
    expect(() => createSignedValue({ 0: "a" }, "n", "v")).toThrow(
      new SigningError("Key version must be set when sign key dict is used"),
    );
  });

  it("refuses a key version the map does not hold", () => {
    expect(() => createSignedValue({ 0: "a" }, "n", "v", { keyVersion: 1 })).toThrow(
      new SigningError("No secret for key version 1"),
    );
  });

  it("refuses a non-integer key version and a non-finite clock", () => {
    expect(() => createSignedValue("s", "n", "v", { keyVersion: 1.5 })).toThrow(SigningError);
    expect(() => createSignedValue("s", "n", "v", { clock: clockAt(Number.NaN) })).toThrow(SigningError);
  });
});

describe("decodeSignedValue reads what Tornado signed", () => {
  it.each(vectors.signed.map((v, i) => [i, v] as const))("fixture signed[%i]", (_i, v) => {
    expect(decodeSignedValue(secretOf(v.secret), v.name, v.signed, { clock: clockAt(NOW + 5) })).toBe(v.value);
  });

  it.each(vectors.decode.map((v) => [v.label, v] as const))("%s", (_label, v) => {
    const result = decodeSignedValue(v.secret, v.name, v.signed, {
      clock: clockAt(v.now),
      maxAgeDays: v.max_age_days,
      ...(v.min_version !== null ? { minVersion: v.min_version as 1 | 2 } : {}),
    });
    expect(result).toBe(v.expected);
  });

  // Where Tornado raises on a hostile value (noted in the fixture), Cyclone rejects it.
  it.each(extra.decode.map((v) => [v.label, v] as const))("%s", (_label, v) => {
    const result = decodeSignedValueBytes(secretOf(v.secret), v.name, v.signed, {
      clock: clockAt(v.now),
      maxAgeDays: v.max_age_days,
      ...(v.min_version !== null ? { minVersion: v.min_version as 1 | 2 } : {}),
    });
    expect(hex(result)).toBe(v.expected_hex);
  });

  it("returns the exact bytes of a binary payload", () => {
    const payload = new Uint8Array([0xff, 0, 0xe9]);
    const signed = createSignedValue("s", "bin", payload, { clock: clockAt(NOW) });
    expect(decodeSignedValueBytes("s", "bin", signed, { clock: clockAt(NOW) })).toEqual(payload);
    expect(decodeSignedValue("s", "bin", signed, { clock: clockAt(NOW) })).toBe("\ufffd\u0000\ufffd");
  });

  it("accepts the signed value as bytes", () => {
    const signed = createSignedValue("s", "n", "v", { clock: clockAt(NOW) });
    expect(decodeSignedValue("s", "n", new TextEncoder().encode(signed), { clock: clockAt(NOW) })).toBe("v");
  });

  it("returns null for a missing value", () => {
    expect(decodeSignedValue("s", "n", null)).toBeNull();
    expect(decodeSignedValue("s", "n", undefined)).toBeNull();
    expect(decodeSignedValue("s", "n", "")).toBeNull();
  });

  it("refuses a minVersion above 2", () => {
    expect(() => decodeSignedValue("s", "n", "x", { minVersion: 3 as 2 })).toThrow(
      new SigningError("Unsupported min_version 3"),
    );
  });

  it("defaults to a 31-day maximum age", () => {
    const signed = createSignedValue("s", "n", "v", { clock: clockAt(NOW) });
    expect(decodeSignedValue("s", "n", signed, { clock: clockAt(NOW + 31 * 86400) })).toBe("v");
    expect(decodeSignedValue("s", "n", signed, { clock: clockAt(NOW + 31 * 86400 + 1) })).toBeNull();
  });

  it("uses the system clock by default", () => {
    expect(decodeSignedValue("s", "n", createSignedValue("s", "n", "v"))).toBe("v");
    expect(decodeSignedValue("s", "n", createSignedValue("s", "n", "v", { clock: clockAt(NOW - 40 * 86400) }))).toBeNull();
  });
});

describe("decodeSignedValue follows web_test.py's SignedValueTest", () => {
  const SECRET = "It's a secret to everybody";
  const SECRET_DICT = { 0: "asdfbasdf", 1: "12312312", 2: "2342342" };
  const present = clockAt(1300000000);
  const past = clockAt(1300000000 - 86400 * 32);
  const sig = "3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152";
  const validate = (value: string): boolean => decodeSignedValue(SECRET, "key", value, { clock: present }) === "value";

  it("rejects a value decoded under another name", () => {
    const signed1 = createSignedValue(SECRET, "key1", "value", { clock: present });
    expect(decodeSignedValue(SECRET, "key2", signed1, { clock: present })).toBeNull();
  });

  it("accepts a value while it is young and rejects it once expired", () => {
    const signed = createSignedValue(SECRET, "key1", "value", { clock: past });
    expect(decodeSignedValue(SECRET, "key1", signed, { clock: past })).toBe("value");
    expect(decodeSignedValue(SECRET, "key1", signed, { clock: present })).toBeNull();
  });

  it("rejects payload tampering", () => {
    expect(validate("2|1:0|10:1300000000|3:key|8:dmFsdWU=|" + sig)).toBe(true);
    expect(validate("2|1:1|10:1300000000|3:key|8:dmFsdWU=|" + sig)).toBe(false);
    expect(validate("2|1:0|10:130000000|3:key|8:dmFsdWU=|" + sig)).toBe(false);
    expect(validate("2|1:0|10:1300000000|3:keey|8:dmFsdWU=|" + sig)).toBe(false);
  });

  it("rejects signature tampering", () => {
    const prefix = "2|1:0|10:1300000000|3:key|8:dmFsdWU=|";
    expect(validate(prefix + "0".repeat(32))).toBe(false);
    expect(validate(prefix + "4" + sig.slice(1))).toBe(false);
    expect(validate(prefix + sig.slice(0, -1) + "3")).toBe(false);
    expect(validate(prefix + sig.slice(0, -1))).toBe(false);
    expect(validate(prefix + sig + "8")).toBe(false);
  });

  it("round-trips non-ASCII bytes, with each key of a key map", () => {
    const value = new Uint8Array([0xe9]);
    for (const keyVersion of [0, 1, 2]) {
      const signed = createSignedValue(SECRET_DICT, "key", value, { clock: present, keyVersion });
      expect(decodeSignedValueBytes(SECRET_DICT, "key", signed, { clock: present })).toEqual(value);
      expect(getSignatureKeyVersion(signed)).toBe(keyVersion);
    }
  });

  it("rejects a value whose key was removed from the map", () => {
    const signed = createSignedValue(SECRET_DICT, "key", "v", { clock: present, keyVersion: 0 });
    expect(decodeSignedValue({ 1: "12312312", 2: "2342342" }, "key", signed, { clock: present })).toBeNull();
  });
});

describe("decodeSignedValue logs version 1 rejections as Tornado", () => {
  const good = vectors.decode.find((v) => v.label === "good v1")!;
  const decodeAt = (now: number, value = good.signed): string | null =>
    decodeSignedValue(good.secret, good.name, value, { clock: clockAt(now) });

  it("warns of an invalid signature", () => {
    expect(decodeAt(good.now, good.signed.slice(0, -1) + "0")).toBeNull();
    expect(logged.map((r) => [r.levelName, r.message.split(" '")[0]])).toEqual([["WARNING", "Invalid cookie signature"]]);
  });

  it("warns of an expired value", () => {
    expect(decodeAt(good.now + 32 * 86400)).toBeNull();
    expect(logged.map((r) => r.message.split(" '")[0])).toEqual(["Expired cookie"]);
  });

  it("warns of a timestamp in the future", () => {
    expect(decodeAt(good.now - 32 * 86400)).toBeNull();
    expect(logged.map((r) => r.message.split(" '")[0])).toEqual(["Cookie timestamp in future; possible tampering"]);
  });

  it("logs nothing for a good value", () => {
    expect(decodeAt(good.now)).toBe("alice");
    expect(logged).toEqual([]);
  });
});

describe("round trips and tampering", () => {
  const secrets: CookieSecret[] = ["k", "ünïcødé key", new Uint8Array([0, 1, 255])];
  const values = ["", "x", "a|b:c", "é☃😀", "z".repeat(5000)];

  it("decodes every value it signs, in both versions", () => {
    for (const secret of secrets) {
      for (const value of values) {
        for (const version of [1, 2] as const) {
          const signed = createSignedValue(secret, "name", value, { version, clock: clockAt(NOW) });
          expect(decodeSignedValue(secret, "name", signed, { clock: clockAt(NOW) })).toBe(value);
        }
      }
    }
  });

  it("rejects every single-character change to a version 2 value", () => {
    const signed = createSignedValue("k", "user", "alice", { clock: clockAt(NOW) });
    for (let i = 0; i < signed.length; i++) {
      const c = signed[i] === "a" ? "b" : "a";
      const tampered = signed.slice(0, i) + c + signed.slice(i + 1);
      expect(decodeSignedValue("k", "user", tampered, { clock: clockAt(NOW) }), tampered).toBeNull();
    }
  });

  it("rejects a version 1 value when version 2 is required", () => {
    const signed = createSignedValue("k", "n", "v", { version: 1, clock: clockAt(NOW) });
    expect(decodeSignedValue("k", "n", signed, { clock: clockAt(NOW), minVersion: 2 })).toBeNull();
  });

  it("rejects a version 1 value under a key map, where Tornado fails an assertion", () => {
    const signed = createSignedValue("k", "n", "v", { version: 1, clock: clockAt(NOW) });
    expect(decodeSignedValue({ 0: "k" }, "n", signed, { clock: clockAt(NOW) })).toBeNull();
  });

  it("cannot read back a non-ASCII name, like Tornado", () => {
    const signed = createSignedValue("k", "nämé", "v", { clock: clockAt(NOW) });
    expect(decodeSignedValue("k", "nämé", signed, { clock: clockAt(NOW) })).toBeNull();
  });
});

describe("getSignatureKeyVersion", () => {
  it.each(extra.keyVersion.map(([value, kv]) => [value as string, kv as number | null]))("%j -> %j", (value, kv) => {
    expect(getSignatureKeyVersion(value)).toBe(kv);
  });
});

describe("XSRF tokens", () => {
  it.each(vectors.xsrf.map((v, i) => [i, v] as const))("encodes fixture xsrf[%i] as Tornado", (_i, v) => {
    const token = fromHex(v.token_hex);
    expect(encodeXsrfToken(token, { mask: fromHex(v.mask_hex), timestamp: v.timestamp })).toBe(v.v2);
    expect(encodeXsrfToken(token, { version: 1 })).toBe(v.v1);
  });

  it.each(vectors.xsrf.map((v, i) => [i, v] as const))("decodes fixture xsrf[%i]", (_i, v) => {
    expect(decodeXsrfToken(v.v2)).toEqual({ version: 2, token: fromHex(v.token_hex), timestamp: v.timestamp });
    expect(decodeXsrfToken(v.v1, { clock: clockAt(NOW + 0.5) })).toEqual({
      version: 1,
      token: fromHex(v.token_hex),
      timestamp: NOW,
    });
  });

  it("masks with fresh random bytes each time, decoding to the same token", () => {
    const token = newXsrfToken();
    const a = encodeXsrfToken(token);
    const b = encodeXsrfToken(token);
    expect(a).toMatch(/^2\|[0-9a-f]{8}\|[0-9a-f]{32}\|\d+$/);
    expect(decodeXsrfToken(a)!.token).toEqual(token);
    expect(decodeXsrfToken(b)!.token).toEqual(token);
    // Two random 4-byte masks collide once in 2**32; a retry keeps this from flaking.
    expect(a !== b || encodeXsrfToken(token) !== a).toBe(true);
  });

  it("stamps version 2 tokens with the current time by default", () => {
    const before = Math.floor(Date.now() / 1000);
    const stamp = decodeXsrfToken(encodeXsrfToken(newXsrfToken()))!.timestamp;
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it("makes 16-byte random tokens", () => {
    const a = newXsrfToken();
    expect(a).toHaveLength(16);
    expect(xsrfTokensEqual(a, newXsrfToken())).toBe(false);
  });

  it("takes a short hex token as its bytes and a non-hex one as its text", () => {
    expect(decodeXsrfToken("deadbeef")!.token).toEqual(fromHex("deadbeef"));
    expect(decodeXsrfToken("xoxo")!.token).toEqual(new TextEncoder().encode("xoxo"));
    expect(decodeXsrfToken("é1")!.token).toEqual(new TextEncoder().encode("é1"));
  });

  it("decodes an empty value to an empty token, which callers must reject", () => {
    expect(decodeXsrfToken("")!.token).toHaveLength(0);
  });

  it("rejects unknown versions and malformed version 2 tokens", () => {
    expect(decodeXsrfToken("3|")).toBeNull();
    expect(decodeXsrfToken("1|abcd")).toBeNull();
    expect(decodeXsrfToken("2|0102")).toBeNull();
    expect(decodeXsrfToken("2|01020304|0a|1|5")).toBeNull();
    expect(decodeXsrfToken("2|0102030|0a|5")).toBeNull();
    expect(decodeXsrfToken("2|01020304|zz|5")).toBeNull();
    expect(decodeXsrfToken("2|01020304|0a|soon")).toBeNull();
    // A two-byte mask cannot cover a longer token (Tornado reads past its buffer).
    expect(decodeXsrfToken("2|0102|0a0b0c|5")).toBeNull();
  });

  it("reads version 2 fields as Python's int() and a2b_hex would", () => {
    expect(decodeXsrfToken("2|01020304|0A0B|+1_764_000_000")).toEqual({
      version: 2,
      token: new Uint8Array([0x0b, 0x09]),
      timestamp: 1764000000,
    });
  });

  it("treats a version-2-looking value with a newline inside as an old raw token", () => {
    expect(decodeXsrfToken("2|01\n020304|0a|5")).toEqual(
      expect.objectContaining({ version: 1, token: new TextEncoder().encode("2|01\n020304|0a|5") }),
    );
  });

  it("refuses a mask that is not four bytes and an unknown version", () => {
    expect(() => encodeXsrfToken(newXsrfToken(), { mask: new Uint8Array(3) })).toThrow(SigningError);
    expect(() => encodeXsrfToken(newXsrfToken(), { version: 3 as 2 })).toThrow(
      new SigningError("unknown xsrf cookie version 3"),
    );
  });

  it("compares tokens by content", () => {
    expect(xsrfTokensEqual(fromHex("00ff"), fromHex("00ff"))).toBe(true);
    expect(xsrfTokensEqual(fromHex("00ff"), fromHex("00fe"))).toBe(false);
    expect(xsrfTokensEqual(fromHex("00ff"), fromHex("00ff00"))).toBe(false);
    expect(xsrfTokensEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
