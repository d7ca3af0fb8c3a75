// Specification of loading CSV translations from disk (Tornado's load_translations) on
// the Node host. Expected tables come from real Tornado 6.2 reading the same directory
// (test/fixtures/locale/make_vectors.py).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Locale, LocaleError, getSupportedLocales, setDefaultLocale } from "../../src/core/locale.js";
import { genLog, type LogRecord } from "../../src/core/log.js";
import { decodeTranslationFile, loadTranslations } from "../../src/node/locale.js";
import vectors from "../fixtures/locale/tornado-locale-vectors.json" with { type: "json" };

const CSV_DIR = fileURLToPath(new URL("../fixtures/locale/csv", import.meta.url));
const tornadoCsv = vectors.csv as Record<string, Record<string, Record<string, string>>>;

const records: LogRecord[] = [];
const handler = (r: LogRecord) => records.push(r);
let scratch = "";

beforeEach(() => {
  records.length = 0;
  genLog.addHandler(handler);
  scratch = mkdtempSync(join(tmpdir(), "cyclone-locale-"));
});

afterEach(() => {
  genLog.removeHandler(handler);
  rmSync(scratch, { recursive: true, force: true });
  loadTranslations({});
  setDefaultLocale("en_US");
});

// fr_FR's translation of "school" (from Tornado's test), re-encoded per case.
const FR_TEXT = '"school","\u00e9cole"\n"Sign out","Se d\u00e9connecter"\n';

function utf16(text: string, bigEndian: boolean): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = bigEndian ? 0xfe : 0xff;
  out[1] = bigEndian ? 0xff : 0xfe;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out[2 + 2 * i + (bigEndian ? 0 : 1)] = unit >> 8;
    out[2 + 2 * i + (bigEndian ? 1 : 0)] = unit & 0xff;
  }
  return out;
}

function writeFr(bytes: Uint8Array | string, name = "fr_FR.csv"): void {
  writeFileSync(join(scratch, name), bytes);
}

describe("loadTranslations(directory)", () => {
  test("reads LOCALE.csv files (Tornado's test_csv)", () => {
    loadTranslations(CSV_DIR);
    const fr = Locale.get("fr_FR");
    expect(fr.translate("school")).toBe("l'\u00e9cole (again)");
    expect(Locale.get("es_LA").translate("I love you")).toBe("Te amo");
    expect(Locale.get("de_AT").translate("school")).toBe("Schule");
  });

  test("gives every message the translation Tornado 6.2 gives", () => {
    loadTranslations(CSV_DIR);
    for (const [code, forms] of Object.entries(tornadoCsv)) {
      const locale = Locale.get(code);
      expect(locale.code).toBe(code);
      for (const [english, translation] of Object.entries(forms["unknown"] ?? {})) {
        expect([code, english, locale.translate(english)]).toEqual([code, english, translation]);
      }
      for (const [english, translation] of Object.entries(forms["singular"] ?? {})) {
        expect(locale.translate(english, "-", 1)).toBe(translation);
      }
      for (const [english, translation] of Object.entries(forms["plural"] ?? {})) {
        expect(locale.translate("-", english, 2)).toBe(translation);
      }
    }
  });

  test("supports the loaded locales and the default, ignoring other files", () => {
    loadTranslations(CSV_DIR);
    expect([...getSupportedLocales()].sort()).toEqual(["de", "en_US", "es_LA", "fr_FR"]);
  });

  test("logs a file not named for a locale, and a row with an unknown plural indicator", () => {
    loadTranslations(CSV_DIR);
    expect(records.filter((r) => r.levelName === "ERROR").map((r) => r.message)).toEqual([
      `Unrecognized plural indicator 'dual' in fr_FR.csv line 10`,
      `Unrecognized locale 'pt-BR' (path: ${join(CSV_DIR, "pt-BR.csv")})`,
    ]);
  });

  test("replaces the previous translations", () => {
    loadTranslations(CSV_DIR);
    writeFr('"school","coll\u00e8ge"\n');
    loadTranslations(scratch);
    expect(Locale.get("fr_FR").translate("school")).toBe("coll\u00e8ge");
    expect(Locale.get("es_LA").code).toBe("en_US");
  });

  test("skips a directory whose name ends in .csv", () => {
    mkdirSync(join(scratch, "de.csv"));
    writeFr(FR_TEXT);
    loadTranslations(scratch);
    expect([...getSupportedLocales()].sort()).toEqual(["en_US", "fr_FR"]);
  });

  test("a missing directory is the file system's error", () => {
    expect(() => loadTranslations(join(scratch, "absent"))).toThrow(/ENOENT/);
  });

  test("also accepts a plain translation table", () => {
    loadTranslations({ fr_FR: { unknown: { school: "\u00e9cole" } } });
    expect(Locale.get("fr_FR").translate("school")).toBe("\u00e9cole");
  });
});

describe("encodings (Tornado's test_csv_bom)", () => {
  test.each([
    ["UTF-8 without a BOM", new TextEncoder().encode(FR_TEXT)],
    ["UTF-8 with a BOM", new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(FR_TEXT)])],
    ["UTF-16 little-endian with a BOM", utf16(FR_TEXT, false)],
    ["UTF-16 big-endian with a BOM", utf16(FR_TEXT, true)],
  ])("detects %s", (_name, bytes) => {
    writeFr(bytes);
    loadTranslations(scratch);
    expect(Locale.get("fr_FR").translate("school")).toBe("\u00e9cole");
  });

  test("detects each file's encoding separately", () => {
    writeFr(utf16(FR_TEXT, false));
    writeFileSync(join(scratch, "de.csv"), '"school","Schule"\n');
    loadTranslations(scratch);
    expect(Locale.get("fr_FR").translate("school")).toBe("\u00e9cole");
    expect(Locale.get("de").translate("school")).toBe("Schule");
  });

  test("an explicit utf-8 keeps a BOM as a character, as Python does", () => {
    writeFr(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(FR_TEXT)]));
    loadTranslations(scratch, { encoding: "utf-8" });
    expect(Locale.get("fr_FR").translate("school")).toBe("school");
    expect(Locale.get("fr_FR").translate('\ufeff"school"')).toBe("\u00e9cole");
    loadTranslations(scratch, { encoding: "utf_8_sig" });
    expect(Locale.get("fr_FR").translate("school")).toBe("\u00e9cole");
  });

  test("an explicit single-byte encoding", () => {
    writeFr(new Uint8Array([...new TextEncoder().encode('"school","'), 0xe9, ...new TextEncoder().encode('cole"\n')]));
    loadTranslations(scratch, { encoding: "iso-8859-1" });
    expect(Locale.get("fr_FR").translate("school")).toBe("\u00e9cole");
  });

  test("invalid bytes for the encoding are a LocaleError naming the file", () => {
    writeFr(new Uint8Array([0x22, 0xe9, 0x22, 0x2c, 0x22, 0x78, 0x22]));
    expect(() => loadTranslations(scratch)).toThrow(LocaleError);
    expect(() => loadTranslations(scratch)).toThrow(`cannot decode ${join(scratch, "fr_FR.csv")} as utf-8`);
  });

  test("an unknown encoding is a LocaleError", () => {
    writeFr(FR_TEXT);
    expect(() => loadTranslations(scratch, { encoding: "klingon" })).toThrow("unknown encoding: klingon");
  });

  test("decodeTranslationFile reads a UTF-16 BOM", () => {
    expect(decodeTranslationFile(new Uint8Array([0xff, 0xfe, 0x61, 0x00]))).toBe("a");
    expect(decodeTranslationFile(new Uint8Array([0xfe, 0xff, 0x00, 0x61]))).toBe("a");
    expect(decodeTranslationFile(new Uint8Array([0x61, 0x00]), "utf-16")).toBe("a");
  });
});
