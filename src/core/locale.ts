/**
 * Translation and locale-aware formatting — Tornado's `tornado.locale`.
 *
 * Load translations once at start-up, then get a {@link Locale} per user and translate:
 *
 * ```ts
 * loadTranslations({ es_LA: { unknown: { "Sign out": "Cerrar sesión" } } });
 * const locale = Locale.get("es_LA");
 * locale.translate("Sign out"); // "Cerrar sesión"
 * ```
 *
 * Translations come from Tornado's CSV format (the Node host's `loadTranslations(dir)`
 * reads a directory of `LOCALE.csv` files; {@link parseCsvTranslations} reads CSV text on
 * any host) or from a plain object in the same shape (`{unknown, singular, plural}` per
 * locale). gettext `.mo` catalogues (Tornado's `load_gettext_translations`) are not
 * supported: neither host has gettext. Translated strings keep Python's named
 * placeholders (`%(name)s`); fill them with {@link interpolate}.
 *
 * As in Tornado, the loaded translations, the default locale and the locale cache are
 * module state: one set per process on Node, one per isolate on Workers.
 * @module
 */

import { LOCALE_NAMES } from "./locale-data.js";
import { type LocaleTranslations, type PluralForm } from "./locale-csv.js";
import { formatDate, formatDay, type FormatDateOptions, type FormatDayOptions } from "./locale-date.js";
import { LocaleError } from "./locale-error.js";
import { interpolate } from "./locale-interpolate.js";
import { genLog } from "./log.js";
import { pyStrip } from "./pycompat.js";

export { LOCALE_NAMES, type LocaleName } from "./locale-data.js";
export { parseCsvTranslations, parseCsvRows, type LocaleTranslations, type PluralForm } from "./locale-csv.js";
export { type FormatDateOptions, type FormatDayOptions } from "./locale-date.js";
export { LocaleError, InterpolationError } from "./locale-error.js";
export { interpolate } from "./locale-interpolate.js";

/** Joins a message context and a message in a translation key, as gettext's `\x04`. */
export const CONTEXT_SEPARATOR = "\x04";

/** The translations of every locale, keyed by locale code (`es_LA`, `fr`). */
export type TranslationTable = Readonly<Record<string, LocaleTranslations>>;

// Tornado's pattern for a translation file's locale: a lower-case language and an
// optional upper-case region (getClosest normalises requested codes to this shape).
const LOCALE_CODE = /^[a-z]+(_[A-Z]+)?$/;
const FORMS: readonly PluralForm[] = ["unknown", "singular", "plural"];

type Compiled = Map<PluralForm, Map<string, string>>;

let defaultLocale = "en_US";
// Validated, frozen copies of the loaded tables, keyed by locale code.
let translations = new Map<string, LocaleTranslations>();
let supportedLocales: ReadonlySet<string> = new Set([defaultLocale]);
const cache = new Map<string, Locale>();

function refreshSupported(): void {
  supportedLocales = new Set([...translations.keys(), defaultLocale]);
}

/**
 * Sets the default locale: the language the application's own strings are written in,
 * and the locale {@link Locale.get} falls back to. It needs no translation file. Tornado's
 * `set_default_locale`; the initial default is `en_US`.
 *
 * @example
 * setDefaultLocale("fr_FR");
 * Locale.get("xx").code; // "fr_FR"
 */
export function setDefaultLocale(code: string): void {
  defaultLocale = code;
  refreshSupported();
}

/**
 * The current default locale code (Cyclone addition; Tornado keeps it private).
 *
 * @example
 * getDefaultLocale(); // "en_US"
 */
export function getDefaultLocale(): string {
  return defaultLocale;
}

/**
 * The codes of every locale with translations, plus the default locale. Tornado's
 * `get_supported_locales`.
 *
 * @example
 * loadTranslations({ fr_FR: { unknown: { school: "école" } } });
 * [...getSupportedLocales()].sort(); // ["en_US", "fr_FR"]
 */
export function getSupportedLocales(): ReadonlySet<string> {
  return supportedLocales;
}

/**
 * Replaces the loaded translations with `table`: for each locale code, English message to
 * translation, grouped by plural form as Tornado's CSV third column ("unknown" for
 * messages translated without a count, "singular" for `count === 1`, "plural" otherwise).
 * The tables are copied, so later changes to `table` have no effect.
 *
 * Unlike Tornado, locales already handed out by {@link Locale.get} are forgotten, so the
 * next `get` sees the new translations.
 *
 * @throws {LocaleError} for a code that is not `lang` or `lang_REGION` (Tornado's file-name
 *   rule), a plural form other than the three, or a translation that is not a string.
 * @example
 * loadTranslations({
 *   es_LA: {
 *     unknown: { "I love you": "Te amo" },
 *     singular: { "%(name)s liked this": "A %(name)s le gustó esto" },
 *     plural: { "%(name)s liked this": "A %(name)s les gustó esto" },
 *   },
 * });
 */
export function loadTranslations(table: TranslationTable): void {
  const loaded = new Map<string, LocaleTranslations>();
  for (const [code, forms] of Object.entries(table)) {
    if (!LOCALE_CODE.test(code)) throw new LocaleError(`Unrecognized locale ${JSON.stringify(code)}`);
    if (typeof forms !== "object" || forms === null) {
      throw new LocaleError(`Translations for ${code} must be an object of plural forms`);
    }
    const copy: Partial<Record<PluralForm, Readonly<Record<string, string>>>> = {};
    for (const [form, messages] of Object.entries(forms as Record<string, unknown>)) {
      if (!(FORMS as readonly string[]).includes(form)) {
        throw new LocaleError(`Unrecognized plural indicator ${JSON.stringify(form)} for ${code}`);
      }
      if (messages === undefined) continue;
      if (typeof messages !== "object" || messages === null) {
        throw new LocaleError(`Translations for ${code}/${form} must be an object of strings`);
      }
      // A null prototype keeps messages such as "constructor" from meeting Object's.
      const map: Record<string, string> = Object.create(null);
      for (const [message, translation] of Object.entries(messages as Record<string, unknown>)) {
        if (typeof translation !== "string") {
          throw new LocaleError(`Translation of ${JSON.stringify(message)} for ${code}/${form} is not a string`);
        }
        map[message] = translation;
      }
      copy[form as PluralForm] = Object.freeze(map);
    }
    loaded.set(code, Object.freeze(copy));
  }
  translations = loaded;
  cache.clear();
  refreshSupported();
  genLog.debug("Supported locales: %s", "[" + [...supportedLocales].sort().map((c) => `'${c}'`).join(", ") + "]");
}

/**
 * Orders the languages of an `Accept-Language` header by preference, exactly as Tornado's
 * `RequestHandler.get_browser_locale` does before calling `locale.get`: entries split on
 * `,`, each stripped and split on `;`; a second part starting `q=` is parsed as Python's
 * `float` (a malformed or negative q counts as 0), otherwise q is 1; entries with q ≤ 0 are
 * dropped; the rest are sorted by q, highest first, ties in header order.
 *
 * Codes are returned as written (`en-US`, or `*`, which matches no locale); pass them to
 * {@link Locale.get}, which normalises them. An empty list means "use the default".
 *
 * @example
 * parseAcceptLanguage("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5");
 * // ["fr-CH", "fr", "en", "de", "*"]
 * Locale.get(...parseAcceptLanguage("de;q=0.5, es-la")); // tries es_LA, then de
 */
export function parseAcceptLanguage(header: string): string[] {
  const entries: { code: string; q: number }[] = [];
  for (const language of header.split(",")) {
    const parts = pyStrip(language).split(";");
    let q = 1;
    const param = parts.length > 1 ? pyStrip(parts[1]!) : "";
    if (param.startsWith("q=")) {
      q = parsePythonFloat(param.slice(2));
      if (!(q >= 0)) q = 0;
    }
    if (q > 0) entries.push({ code: parts[0]!, q });
  }
  // Array.prototype.sort is stable, as Python's sort(reverse=True) is.
  entries.sort((a, b) => (a.q > b.q ? -1 : a.q < b.q ? 1 : 0));
  return entries.map((e) => e.code);
}

const PY_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const PY_FLOAT_SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

// Python's float(str): surrounding whitespace allowed, "_" between digits, inf/nan
// spelled out. Anything else is a ValueError, which Tornado turns into q=0 (NaN here).
function parsePythonFloat(text: string): number {
  const s = pyStrip(text);
  if (PY_FLOAT.test(s)) return Number(s.replaceAll("_", ""));
  if (PY_FLOAT_SPECIAL.test(s)) {
    const negative = s.startsWith("-");
    if (/nan$/i.test(s)) return Number.NaN;
    return negative ? -Infinity : Infinity;
  }
  return Number.NaN;
}

/**
 * A language with its translations, formatting rules and names. Tornado's `Locale`.
 *
 * Get one with {@link Locale.get}; each supported code has a single cached instance.
 * Subclass it to plug in another translation source: implement `translate` and `pgettext`.
 *
 * @example
 * const locale = Locale.get("en_US");
 * locale.formatDate(Date.now() / 1000 - 120); // "2 minutes ago"
 * locale.list(["A", "B", "C"]);               // "A, B and C"
 */
export abstract class Locale {
  /** The locale code, e.g. `"es_LA"`. */
  readonly code: string;
  /** The language's name in that language (from {@link LOCALE_NAMES}), or "Unknown". */
  readonly name: string;
  /** Whether the language is written right to left (Farsi, Arabic, Hebrew). */
  readonly rtl: boolean;
  #months: string[] | undefined;
  #weekdays: string[] | undefined;

  /**
   * The closest supported locale for the codes, tried in order; the default locale if
   * none matches. Tornado's `tornado.locale.get(*codes)`; see {@link Locale.getClosest}.
   *
   * @example
   * loadTranslations({ es_LA: {}, de: {} });
   * Locale.get("fr-FR", "de-AT").code; // "de"
   * Locale.get("xx").code;             // "en_US" (the default)
   */
  static get(...codes: string[]): Locale {
    return Locale.getClosest(...codes);
  }

  /**
   * The first code with a tight or loose match, else the default locale. Tornado's
   * `Locale.get_closest`: `-` is read as `_`, `es_la` as `es_LA`; `es_LA` matches a
   * supported `es_LA`, else a supported `es`; empty codes and codes with more than two
   * parts are skipped.
   *
   * @example
   * loadTranslations({ es: {} });
   * Locale.getClosest("es-MX").code; // "es"
   */
  static getClosest(...codes: string[]): Locale {
    for (const requested of codes) {
      if (!requested) continue;
      let code = requested.replaceAll("-", "_");
      const parts = code.split("_");
      if (parts.length > 2) continue;
      if (parts.length === 2) code = parts[0]!.toLowerCase() + "_" + parts[1]!.toUpperCase();
      if (supportedLocales.has(code)) return localeFor(code);
      const language = parts[0]!.toLowerCase();
      if (supportedLocales.has(language)) return localeFor(language);
    }
    return localeFor(defaultLocale);
  }

  /**
   * Builds a locale for `code`. Applications use {@link Locale.get} instead; subclasses
   * call this.
   */
  constructor(code: string) {
    this.code = code;
    this.name = Object.hasOwn(LOCALE_NAMES, code) ? LOCALE_NAMES[code]!.name : "Unknown";
    this.rtl = code.startsWith("fa") || code.startsWith("ar") || code.startsWith("he");
  }

  /**
   * The translation of `message`. With `pluralMessage` and `count`, the singular form's
   * translation when `count === 1`, else the plural form's; an untranslated message comes
   * back unchanged (`pluralMessage` when `count !== 1`).
   *
   * @example
   * locale.translate("Sign out");
   * locale.translate("%(n)d comment", "%(n)d comments", 3); // then interpolate(..., { n: 3 })
   */
  abstract translate(message: string, pluralMessage?: string, count?: number): string;

  /**
   * The translation of `message` in `context` (to tell "right" the direction from "right"
   * the entitlement), with optional plural forms as {@link translate}. Tornado's `pgettext`.
   *
   * @example
   * locale.pgettext("law", "right");
   * locale.pgettext("organization", "club", "clubs", 2);
   */
  abstract pgettext(context: string, message: string, pluralMessage?: string, count?: number): string;

  /** Month names translated in this locale, January first. */
  protected get months(): readonly string[] {
    return (this.#months ??= [
      "January", "February", "March", "April", "May", "June",
      "July", "August", "September", "October", "November", "December",
    ].map((m) => this.translate(m)));
  }

  /** Weekday names translated in this locale, Monday first (as Python's `weekday()`). */
  protected get weekdays(): readonly string[] {
    return (this.#weekdays ??= ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"].map(
      (d) => this.translate(d),
    ));
  }

  /**
   * Formats a date, relative to now by default ("2 minutes ago", "yesterday at 3:04 pm",
   * "Monday at 9:30 am", "March 5 at 10:00 am"), or absolute ("March 5, 2023 at 10:00 am")
   * with `relative: false` or `fullFormat: true`. Future dates use the full format. See
   * {@link FormatDateOptions} for `gmtOffset`, `shorter` and `now`.
   *
   * A number is a Unix timestamp in seconds, as in Tornado. Times are UTC shifted by
   * `gmtOffset`, never the machine's time zone.
   *
   * @example
   * locale.formatDate(new Date(Date.UTC(2013, 3, 28, 18, 35)), { fullFormat: true });
   * // "April 28, 2013 at 6:35 pm"
   */
  formatDate(date: Date | number, options: FormatDateOptions = {}): string {
    return formatDate(this.#calendar(), date, options);
  }

  /**
   * Formats a date as a day: "Sunday, April 28", or "April 28" with `dow: false`.
   * Tornado's `format_day`.
   *
   * @example
   * locale.formatDay(new Date(Date.UTC(2013, 3, 28, 18, 35))); // "Sunday, April 28"
   */
  formatDay(date: Date | number, options: FormatDayOptions = {}): string {
    return formatDay(this.#calendar(), date, options);
  }

  #calendar() {
    return { code: this.code, months: this.months, weekdays: this.weekdays, translate: this.translate.bind(this) };
  }

  /**
   * Joins parts as "A, B and C" ("A and B", "A", or "" for none), with "and" translated
   * and, for Farsi, its own comma. Tornado's `list`.
   *
   * @example
   * Locale.get("en_US").list(["A", "B", "C"]); // "A, B and C"
   */
  list(parts: readonly string[]): string {
    if (parts.length === 0) return "";
    if (parts.length === 1) return parts[0]!;
    const comma = this.code.startsWith("fa") ? " \u0648 " : ", ";
    return interpolate(this.translate("%(commas)s and %(last)s"), {
      commas: parts.slice(0, -1).join(comma),
      last: parts[parts.length - 1],
    });
  }

  /**
   * An integer with thousands separators in English locales ("1,000,000"), and as plain
   * digits elsewhere. Tornado's `friendly_number`, which groups the digits of
   * `str(value)`; negative numbers keep Tornado's grouping ("-1,000", "-,100,000").
   *
   * @throws {LocaleError} when `value` is not an integer.
   * @example
   * Locale.get("en_US").friendlyNumber(1000000); // "1,000,000"
   */
  friendlyNumber(value: number | bigint): string {
    if (typeof value === "number" && !Number.isInteger(value)) {
      throw new LocaleError(`friendlyNumber expects an integer, got ${value}`);
    }
    // BigInt prints every digit, as Python's str(int), where String(1e21) would not.
    let s = BigInt(value).toString();
    if (this.code !== "en" && this.code !== "en_US") return s;
    const groups: string[] = [];
    while (s) {
      groups.unshift(s.slice(-3));
      s = s.slice(0, -3);
    }
    return groups.join(",");
  }
}

/**
 * A locale whose translations come from Tornado's CSV format or a plain object of the
 * same shape. Tornado's `CSVLocale`. {@link Locale.get} returns these.
 *
 * @example
 * const fr = new CSVLocale("fr_FR", { unknown: { school: "école" } });
 * fr.translate("school"); // "école"
 */
export class CSVLocale extends Locale {
  #forms: Compiled;

  /** Builds a locale over `translations` (copied). */
  constructor(code: string, translations: LocaleTranslations = {}) {
    super(code);
    this.#forms = new Map(
      FORMS.filter((f) => translations[f] !== undefined).map((f) => [f, new Map(Object.entries(translations[f]!))]),
    );
  }

  translate(message: string, pluralMessage?: string, count?: number): string {
    if (pluralMessage !== undefined) {
      if (count === undefined) throw new LocaleError("translate: a count is required with pluralMessage");
      if (count !== 1) return this.#forms.get("plural")?.get(pluralMessage) ?? pluralMessage;
      return this.#forms.get("singular")?.get(message) ?? message;
    }
    return this.#forms.get("unknown")?.get(message) ?? message;
  }

  /**
   * Tornado's CSV locales ignore the context (and log a warning). Cyclone looks up
   * `context + "\x04" + message` first — so a plain-object table can carry contexts, as
   * gettext does — and otherwise falls back to {@link translate} without the context.
   */
  pgettext(context: string, message: string, pluralMessage?: string, count?: number): string {
    if (pluralMessage !== undefined) {
      if (count === undefined) throw new LocaleError("pgettext: a count is required with pluralMessage");
      const found =
        count !== 1
          ? this.#forms.get("plural")?.get(context + CONTEXT_SEPARATOR + pluralMessage)
          : this.#forms.get("singular")?.get(context + CONTEXT_SEPARATOR + message);
      return found ?? this.translate(message, pluralMessage, count);
    }
    return this.#forms.get("unknown")?.get(context + CONTEXT_SEPARATOR + message) ?? this.translate(message);
  }
}

function localeFor(code: string): Locale {
  let locale = cache.get(code);
  if (locale === undefined) {
    locale = new CSVLocale(code, translations.get(code));
    cache.set(code, locale);
  }
  return locale;
}
