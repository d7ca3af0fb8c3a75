/**
 * Loading Tornado's CSV translations from a directory on disk — the Node half of
 * Tornado's `tornado.locale.load_translations`.
 *
 * The parsing rules live in the core (`parseCsvTranslations`); this module finds the
 * `LOCALE.csv` files, detects their encoding and installs the result with the core's
 * `loadTranslations`. It also accepts a plain translation table, so that `cyclone/node`
 * can export a single `loadTranslations` for both uses.
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  LocaleError,
  loadTranslations as loadTranslationTable,
  parseCsvTranslations,
  type LocaleTranslations,
  type TranslationTable,
} from "../core/locale.js";
import { pyRepr } from "../core/locale-csv.js";
import { genLog } from "../core/log.js";

/** Options of {@link loadTranslations} for a directory. */
export interface LoadTranslationsOptions {
  /**
   * The files' encoding, as a WHATWG label (`"utf-8"`, `"utf-16le"`, `"windows-1252"`) or
   * Python's `"utf-8-sig"` and `"utf-16"` (which read a byte-order mark). By default a
   * UTF-16 byte-order mark selects UTF-16 and anything else is read as UTF-8, with or
   * without a BOM, as Tornado does.
   */
  encoding?: string;
}

const LOCALE_CODE = /^[a-z]+(_[A-Z]+)?$/;

/**
 * Replaces the loaded translations with those of the CSV files in `directory`, or with a
 * plain translation table (the core's `loadTranslations`).
 *
 * Each file is named for its locale (`es_LA.csv`, `fr.csv`) and holds rows of two or three
 * cells: the English message, its translation, and an optional plural indicator
 * ("singular", "plural", or "unknown"/empty for messages without a count). The CSV dialect
 * is Excel's, with no spaces after the commas. A file whose name is not a locale code, or a
 * row with another plural indicator, is skipped with an error on `genLog`, as in Tornado.
 * Other files are ignored. The encoding is detected per file (Tornado reuses the first
 * file's guess for the rest of the directory).
 *
 * ```csv
 * "I love you","Te amo"
 * "%(name)s liked this","A %(name)s les gustó esto","plural"
 * "%(name)s liked this","A %(name)s le gustó esto","singular"
 * ```
 *
 * @throws {LocaleError} when a file cannot be decoded in its encoding, or the encoding is
 *   unknown; the file system's error when the directory cannot be read.
 * @example
 * loadTranslations(new URL("./translations", import.meta.url).pathname);
 * Locale.get("es_LA").translate("I love you"); // "Te amo"
 */
export function loadTranslations(directory: string, options?: LoadTranslationsOptions): void;
export function loadTranslations(table: TranslationTable): void;
export function loadTranslations(source: string | TranslationTable, options: LoadTranslationsOptions = {}): void {
  if (typeof source !== "string") {
    loadTranslationTable(source);
    return;
  }
  const table: Record<string, LocaleTranslations> = {};
  for (const name of readdirSync(source).sort()) {
    if (!name.endsWith(".csv")) continue;
    const fullPath = join(source, name);
    const locale = name.slice(0, -".csv".length);
    if (!LOCALE_CODE.test(locale)) {
      genLog.error("Unrecognized locale %s (path: %s)", pyRepr(locale), fullPath);
      continue;
    }
    if (!statSync(fullPath).isFile()) continue;
    table[locale] = parseCsvTranslations(decodeTranslationFile(readFileSync(fullPath), options.encoding, fullPath), name);
  }
  loadTranslationTable(table);
}

/**
 * Decodes a translation file's bytes as {@link loadTranslations} does: with `encoding`
 * when given, else by its byte-order mark (UTF-16 LE/BE, UTF-8 with or without a BOM).
 *
 * @throws {LocaleError} for an unknown encoding or bytes that are invalid in it.
 * @example
 * decodeTranslationFile(new Uint8Array([0xff, 0xfe, 0x61, 0x00])); // "a"
 */
export function decodeTranslationFile(bytes: Uint8Array, encoding?: string, path = "<bytes>"): string {
  const label = encoding === undefined ? undefined : encoding.toLowerCase().replaceAll("_", "-");
  let decoder: TextDecoder;
  if (label === undefined || label === "utf-16" || label === "utf16") {
    const le = bytes[0] === 0xff && bytes[1] === 0xfe;
    const be = bytes[0] === 0xfe && bytes[1] === 0xff;
    // Python's "utf-16" without a BOM reads the platform's order, little-endian here.
    const utf16 = le || be || label !== undefined;
    decoder = new TextDecoder(utf16 ? (be ? "utf-16be" : "utf-16le") : "utf-8", { fatal: true });
  } else if (label === "utf-8-sig" || label === "utf8-sig") {
    decoder = new TextDecoder("utf-8", { fatal: true });
  } else {
    try {
      // An explicit encoding keeps a BOM as a character, as Python's codecs do.
      decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
    } catch {
      throw new LocaleError(`unknown encoding: ${encoding}`);
    }
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new LocaleError(`cannot decode ${path} as ${decoder.encoding}`);
  }
}
