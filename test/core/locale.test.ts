// Specification of the locale module (Tornado's tornado.locale), on plain Node.
// Expected outputs marked "Tornado" come from real Tornado 6.2 through
// test/fixtures/locale/make_vectors.py, with the clock pinned.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  CSVLocale,
  CONTEXT_SEPARATOR,
  InterpolationError,
  LOCALE_NAMES,
  Locale,
  LocaleError,
  getDefaultLocale,
  getSupportedLocales,
  interpolate,
  loadTranslations,
  parseAcceptLanguage,
  parseCsvRows,
  parseCsvTranslations,
  setDefaultLocale,
  type LocaleTranslations,
} from "../../src/core/locale.js";
import { genLog, type LogRecord } from "../../src/core/log.js";
import vectors from "../fixtures/locale/tornado-locale-vectors.json" with { type: "json" };

// Tornado's own parse of test/fixtures/locale/csv (es_LA, fr_FR, de).
const tornadoCsv = vectors.csv as Record<string, LocaleTranslations>;

afterEach(() => {
  loadTranslations({});
  setDefaultLocale("en_US");
});

// Records what genLog receives during each test of the calling describe block.
function captureGenLog(): LogRecord[] {
  const records: LogRecord[] = [];
  const handler = (r: LogRecord) => records.push(r);
  beforeEach(() => {
    records.length = 0;
    genLog.addHandler(handler);
  });
  afterEach(() => genLog.removeHandler(handler));
  return records;
}

describe("LOCALE_NAMES", () => {
  test("holds each locale's name in its own language and in English", () => {
    expect(LOCALE_NAMES["es_LA"]).toEqual({ name: "Espa\u00f1ol", nameEn: "Spanish" });
    expect(new TextEncoder().encode(LOCALE_NAMES["es_LA"]!.name)).toEqual(
      new Uint8Array([0x45, 0x73, 0x70, 0x61, 0xc3, 0xb1, 0x6f, 0x6c]),
    );
    expect(LOCALE_NAMES["zh_CN"]!.nameEn).toBe("Chinese (Simplified)");
  });

  test("has Tornado's 62 locales", () => {
    expect(Object.keys(LOCALE_NAMES)).toHaveLength(62);
  });
});

describe("Locale properties", () => {
  test("name comes from LOCALE_NAMES, else Unknown", () => {
    setDefaultLocale("de_DE");
    expect(Locale.get("de_DE").name).toBe("Deutsch");
    setDefaultLocale("fr");
    expect(Locale.get("fr").name).toBe("Unknown");
    setDefaultLocale("constructor");
    expect(Locale.get().name).toBe("Unknown");
  });

  test("rtl is true for Farsi, Arabic and Hebrew codes only", () => {
    expect(new CSVLocale("fa_IR").rtl).toBe(true);
    expect(new CSVLocale("ar_AR").rtl).toBe(true);
    expect(new CSVLocale("he_IL").rtl).toBe(true);
    expect(new CSVLocale("en_US").rtl).toBe(false);
    expect(new CSVLocale("de").rtl).toBe(false);
  });
});

describe("Locale.get and getClosest", () => {
  test("with no translations everything falls back to en_US", () => {
    expect(Locale.get("fr_FR").code).toBe("en_US");
    expect(Locale.get().code).toBe("en_US");
    expect(Locale.get("fr_FR")).toBeInstanceOf(CSVLocale);
  });

  test("match Tornado's closest-match rules", () => {
    loadTranslations(tornadoCsv);
    for (const [codes, expected] of vectors.closest as [string[], string][]) {
      expect([codes, Locale.getClosest(...codes).code]).toEqual([codes, expected]);
      expect(Locale.get(...codes).code).toBe(expected);
    }
  });

  test("return one cached instance per code", () => {
    loadTranslations(tornadoCsv);
    expect(Locale.get("es-la")).toBe(Locale.get("es_LA"));
  });

  test("setDefaultLocale changes the fallback and is supported without translations", () => {
    setDefaultLocale("pt_BR");
    expect(getDefaultLocale()).toBe("pt_BR");
    expect(Locale.get("xx").code).toBe("pt_BR");
    expect(Locale.get("pt-br").translate("school")).toBe("school");
    expect([...getSupportedLocales()]).toEqual(["pt_BR"]);
  });

  test("getSupportedLocales lists the loaded locales and the default", () => {
    loadTranslations(tornadoCsv);
    expect([...getSupportedLocales()].sort()).toEqual(["de", "en_US", "es_LA", "fr_FR"]);
  });
});

describe("loadTranslations from a plain object", () => {
  test("translates loaded messages and leaves others unchanged", () => {
    loadTranslations({ fr_FR: { unknown: { school: "\u00e9cole" } } });
    const fr = Locale.get("fr_FR");
    expect(fr.translate("school")).toBe("\u00e9cole");
    expect(fr.translate("house")).toBe("house");
  });

  test("replaces earlier translations, including in locales already handed out", () => {
    loadTranslations({ fr_FR: { unknown: { school: "\u00e9cole" } } });
    expect(Locale.get("fr_FR").translate("school")).toBe("\u00e9cole");
    loadTranslations({ fr_FR: { unknown: { school: "coll\u00e8ge" } } });
    expect(Locale.get("fr_FR").translate("school")).toBe("coll\u00e8ge");
    loadTranslations({ de: {} });
    expect(Locale.get("fr_FR").code).toBe("en_US");
  });

  test("copies the table, so later changes to it have no effect", () => {
    const unknown: Record<string, string> = { school: "\u00e9cole" };
    loadTranslations({ fr_FR: { unknown } });
    unknown["school"] = "changed";
    unknown["house"] = "maison";
    expect(Locale.get("fr_FR").translate("school")).toBe("\u00e9cole");
    expect(Locale.get("fr_FR").translate("house")).toBe("house");
  });

  test("messages named like Object's properties are ordinary messages", () => {
    loadTranslations({ fr_FR: { unknown: { toString: "enChaine" } } });
    expect(Locale.get("fr_FR").translate("toString")).toBe("enChaine");
    expect(Locale.get("fr_FR").translate("constructor")).toBe("constructor");
    expect(Locale.get("fr_FR").translate("__proto__")).toBe("__proto__");
  });

  test("rejects a code that is not lang or lang_REGION", () => {
    expect(() => loadTranslations({ "pt-BR": {} })).toThrow(LocaleError);
    expect(() => loadTranslations({ EN: {} })).toThrow('Unrecognized locale "EN"');
    expect(() => loadTranslations({ zh_Hant: {} })).toThrow(LocaleError);
  });

  test("rejects an unknown plural form and non-string translations", () => {
    const bad = { fr: { dual: { a: "b" } } } as unknown as Record<string, LocaleTranslations>;
    expect(() => loadTranslations(bad)).toThrow('Unrecognized plural indicator "dual" for fr');
    const notString = { fr: { unknown: { a: 1 } } } as unknown as Record<string, LocaleTranslations>;
    expect(() => loadTranslations(notString)).toThrow(LocaleError);
  });

  test("a failed load keeps the previous translations", () => {
    loadTranslations({ fr_FR: { unknown: { school: "\u00e9cole" } } });
    expect(() => loadTranslations({ de: {}, "bad code": {} })).toThrow(LocaleError);
    expect(Locale.get("fr_FR").translate("school")).toBe("\u00e9cole");
  });
});

describe("translate", () => {
  beforeEach(() => loadTranslations(tornadoCsv));

  test("picks the singular form for a count of 1 and the plural form otherwise", () => {
    const es = Locale.get("es_LA");
    expect(es.translate("%(name)s liked this", "%(name)s liked this", 1)).toBe("A %(name)s le gust\u00f3 esto");
    expect(es.translate("%(name)s liked this", "%(name)s liked this", 2)).toBe("A %(name)s les gust\u00f3 esto");
    expect(es.translate("%(count)d new message", "%(count)d new messages", 0)).toBe("%(count)d mensajes nuevos");
  });

  test("returns the English singular or plural when a form is untranslated", () => {
    const fr = Locale.get("fr_FR");
    expect(fr.translate("apple", "apples", 1)).toBe("apple");
    expect(fr.translate("apple", "apples", 3)).toBe("apples");
  });

  test("the forms are separate tables: a plain translation is not used with a count", () => {
    const es = Locale.get("es_LA");
    expect(es.translate("I love you")).toBe("Te amo");
    expect(es.translate("I love you", "I love you", 1)).toBe("I love you");
  });

  test("a plural message without a count is an error", () => {
    expect(() => Locale.get("es_LA").translate("a", "b")).toThrow(LocaleError);
  });
});

describe("pgettext", () => {
  test("without a context entry, translates as translate does", () => {
    loadTranslations({ fr_FR: { unknown: { right: "droit" }, singular: { club: "le club" }, plural: { clubs: "les clubs" } } });
    const fr = Locale.get("fr_FR");
    expect(fr.pgettext("law", "right")).toBe("droit");
    expect(fr.pgettext("organization", "club", "clubs", 1)).toBe("le club");
    expect(fr.pgettext("organization", "club", "clubs", 2)).toBe("les clubs");
  });

  test("uses context-qualified entries (context + \\x04 + message) when present", () => {
    const key = (context: string, message: string) => context + CONTEXT_SEPARATOR + message;
    loadTranslations({
      fr_FR: {
        unknown: { [key("law", "right")]: "le droit", [key("good", "right")]: "le bien" },
        singular: { [key("stick", "club")]: "le b\u00e2ton" },
        plural: { [key("stick", "clubs")]: "les b\u00e2tons" },
      },
    });
    const fr = Locale.get("fr_FR");
    expect(fr.pgettext("law", "right")).toBe("le droit");
    expect(fr.pgettext("good", "right")).toBe("le bien");
    expect(fr.pgettext("stick", "club", "clubs", 1)).toBe("le b\u00e2ton");
    expect(fr.pgettext("stick", "club", "clubs", 2)).toBe("les b\u00e2tons");
    expect(fr.pgettext("organization", "club", "clubs", 2)).toBe("clubs");
  });

  test("a plural message without a count is an error", () => {
    expect(() => Locale.get().pgettext("c", "a", "b")).toThrow(LocaleError);
  });
});

describe("formatDate", () => {
  const en = () => Locale.get("en_US");
  const at = (iso: string) => new Date(iso);
  const now = at("2023-03-08T15:04:05Z"); // a Wednesday

  test("full format of Tornado's own test date", () => {
    expect(en().formatDate(at("2013-04-28T18:35:00Z"), { fullFormat: true })).toBe("April 28, 2013 at 6:35 pm");
  });

  test("counts back from the real clock by default (Tornado's relative cases)", () => {
    const t = Date.now();
    const ago = (ms: number, shorter = false) => en().formatDate(new Date(t - ms), { shorter });
    expect(ago(2_000)).toBe("2 seconds ago");
    expect(ago(2 * 60_000)).toBe("2 minutes ago");
    expect(ago(2 * 3_600_000)).toBe("2 hours ago");
    expect(ago(86_400_000, true)).toBe("yesterday");
    const days = (n: number) => new Date(t - n * 86_400_000);
    const weekday = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    expect(ago(2 * 86_400_000, true)).toBe(weekday[days(2).getUTCDay()]);
    const month = (d: Date) => d.toLocaleString("en-US", { month: "long", timeZone: "UTC" });
    expect(ago(300 * 86_400_000, true)).toBe(`${month(days(300))} ${days(300).getUTCDate()}`);
    const d500 = days(500);
    expect(ago(500 * 86_400_000, true)).toBe(`${month(d500)} ${d500.getUTCDate()}, ${d500.getUTCFullYear()}`);
  });

  test("relative outputs step from seconds to minutes to hours", () => {
    const ago = (s: number) => en().formatDate(new Date(now.getTime() - s * 1000), { now });
    expect(ago(1)).toBe("1 second ago");
    expect(ago(49)).toBe("49 seconds ago");
    expect(ago(50)).toBe("1 minute ago");
    expect(ago(120)).toBe("2 minutes ago");
    expect(ago(2999)).toBe("50 minutes ago");
    expect(ago(3000)).toBe("1 hour ago");
    expect(ago(86399)).toBe("24 hours ago");
  });

  test("minutes and hours round halves to even, as Python's round", () => {
    const ago = (s: number) => en().formatDate(new Date(now.getTime() - s * 1000), { now });
    expect(ago(90)).toBe("2 minutes ago");
    expect(ago(150)).toBe("2 minutes ago");
    expect(ago(210)).toBe("4 minutes ago");
    expect(ago(9000)).toBe("2 hours ago");
  });

  test("a day or more ago: yesterday, weekday, month and day, then the year", () => {
    const ago = (days: number) => en().formatDate(new Date(now.getTime() - days * 86_400_000), { now });
    expect(ago(1)).toBe("yesterday at 3:04 pm");
    expect(ago(2)).toBe("Monday at 3:04 pm");
    expect(ago(4)).toBe("Saturday at 3:04 pm");
    expect(ago(5)).toBe("March 3 at 3:04 pm");
    expect(ago(333)).toBe("April 9 at 3:04 pm");
    expect(ago(334)).toBe("April 8, 2022 at 3:04 pm");
  });

  test("without relative, today is just the time and yesterday is a weekday", () => {
    const opts = { now, relative: false };
    expect(en().formatDate(new Date(now.getTime() - 60_000), opts)).toBe("3:03 pm");
    expect(en().formatDate(new Date(now.getTime() - 86_400_000), opts)).toBe("Tuesday at 3:04 pm");
  });

  test("gmtOffset is minutes west of UTC, as getTimezoneOffset()", () => {
    const date = new Date(now.getTime() - 3 * 86_400_000);
    expect(en().formatDate(date, { now, gmtOffset: 480 })).toBe("Sunday at 7:04 am");
    expect(en().formatDate(date, { now, gmtOffset: -330 })).toBe("Sunday at 8:34 pm");
  });

  test("yesterday is judged by the reader's calendar day", () => {
    const justAfterMidnight = at("2024-01-01T00:30:00Z");
    const date = at("2023-12-30T23:30:00Z"); // 25 hours earlier
    expect(en().formatDate(date, { now: justAfterMidnight })).toBe("Saturday at 11:30 pm");
    expect(en().formatDate(date, { now: justAfterMidnight, gmtOffset: 60 })).toBe("yesterday at 10:30 pm");
  });

  test("future dates use the full format, except a few seconds of clock skew", () => {
    const ahead = (s: number, relative = true) => en().formatDate(new Date(now.getTime() + s * 1000), { now, relative });
    expect(ahead(30)).toBe("0 seconds ago");
    expect(ahead(60)).toBe("March 8, 2023 at 3:05 pm");
    expect(ahead(30, false)).toBe("March 8, 2023 at 3:04 pm");
  });

  test("English uses a 12-hour clock, zh_CN 上午/下午, other locales 24 hours", () => {
    const date = new Date(now.getTime() - 2 * 86_400_000);
    const fmt = (code: string) => new CSVLocale(code).formatDate(date, { now });
    expect(fmt("en")).toBe("Monday at 3:04 pm");
    expect(fmt("zh_CN")).toBe("Monday at \u4e0b\u53483:04");
    expect(fmt("ja_JP")).toBe("Monday at 15:04");
    expect(fmt("fr_FR")).toBe("Monday at 15:04");
    expect(fmt("en_GB")).toBe("Monday at 15:04");
    const morning = new Date(Date.UTC(2023, 2, 6, 0, 5));
    expect(new CSVLocale("zh_CN").formatDate(morning, { now })).toBe("Monday at \u4e0a\u534812:05");
    expect(new CSVLocale("en").formatDate(morning, { now })).toBe("Monday at 12:05 am");
  });

  test("uses the locale's translations of formats, months and weekdays", () => {
    loadTranslations(tornadoCsv);
    const es = Locale.get("es_LA");
    expect(es.formatDate(new Date(now.getTime() - 3_000), { now })).toBe("hace 3 segundos");
    expect(es.formatDate(new Date(now.getTime() - 60_000), { now })).toBe("hace 1 minuto");
    expect(es.formatDate(new Date(now.getTime() - 86_400_000 * 2), { now })).toBe("el lunes a las 15:04");
    expect(es.formatDate(now, { fullFormat: true, now })).toBe("8 de marzo de 2023 a las 15:04");
  });

  test("a number is a Unix timestamp in seconds, as in Tornado", () => {
    const seconds = Date.UTC(2013, 3, 28, 18, 35) / 1000;
    expect(en().formatDate(seconds, { fullFormat: true })).toBe("April 28, 2013 at 6:35 pm");
    expect(en().formatDate(now.getTime() / 1000 - 5, { now: now.getTime() / 1000 })).toBe("5 seconds ago");
  });

  test("does not depend on the machine's time zone", () => {
    const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
    const saved = env?.["TZ"];
    const date = at("2013-04-28T18:35:00Z");
    try {
      for (const tz of ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Kiritimati"]) {
        if (env) env["TZ"] = tz;
        expect(en().formatDate(date, { fullFormat: true })).toBe("April 28, 2013 at 6:35 pm");
        expect(en().formatDay(date)).toBe("Sunday, April 28");
      }
    } finally {
      if (env) {
        if (saved === undefined) delete env["TZ"];
        else env["TZ"] = saved;
      }
    }
  });

  test("an invalid date or offset is an error", () => {
    expect(() => en().formatDate(new Date(Number.NaN))).toThrow(LocaleError);
    expect(() => en().formatDate(Number.POSITIVE_INFINITY)).toThrow(LocaleError);
    expect(() => en().formatDate(now, { gmtOffset: Number.NaN })).toThrow(LocaleError);
  });

  type DateRow = [string, number, number, number, string, string];
  const rows = vectors.formatDate as DateRow[];
  const groups = [...new Set(rows.map((r) => `${r[0]} ${r[1]}`))];
  test.each(groups)("matches Tornado 6.2 for every case of %s", (group) => {
    loadTranslations(tornadoCsv);
    setDefaultLocale(group.split(" ")[0]!);
    const mismatches: string[] = [];
    let checked = 0;
    for (const [code, n, delta, gmtOffset, flags, expected] of rows) {
      if (`${code} ${n}` !== group) continue;
      const nowSeconds = vectors.nows[n]!;
      const options = { now: nowSeconds, gmtOffset, relative: flags[0] === "R", shorter: flags[1] === "S", fullFormat: flags[2] === "F" };
      const actual = Locale.get(code).formatDate(nowSeconds - delta, options);
      checked++;
      if (actual !== expected) mismatches.push(`${delta}s ${gmtOffset} ${flags}: ${actual} != ${expected}`);
    }
    expect(checked).toBeGreaterThan(90);
    expect(mismatches).toEqual([]);
  });
});

describe("formatDay", () => {
  test("Tornado's own cases", () => {
    const date = new Date(Date.UTC(2013, 3, 28, 18, 35));
    expect(Locale.get("en_US").formatDay(date, { dow: true })).toBe("Sunday, April 28");
    expect(Locale.get("en_US").formatDay(date, { dow: false })).toBe("April 28");
  });

  test("matches Tornado 6.2 with offsets and translations", () => {
    loadTranslations(tornadoCsv);
    for (const [code, seconds, gmtOffset, dow, expected] of vectors.formatDay as [string, number, number, boolean, string][]) {
      expect([code, seconds, gmtOffset, dow, Locale.get(code).formatDay(seconds, { gmtOffset, dow })]).toEqual([
        code, seconds, gmtOffset, dow, expected,
      ]);
    }
  });
});

describe("list", () => {
  test("Tornado's own cases", () => {
    const en = Locale.get("en_US");
    expect(en.list([])).toBe("");
    expect(en.list(["A"])).toBe("A");
    expect(en.list(["A", "B"])).toBe("A and B");
    expect(en.list(["A", "B", "C"])).toBe("A, B and C");
  });

  test("matches Tornado 6.2 for translated and Farsi lists", () => {
    loadTranslations(tornadoCsv);
    for (const [code, parts, expected] of vectors.list as [string, string[], string][]) {
      const locale = code === "fa_IR" ? new CSVLocale("fa_IR") : Locale.get(code);
      expect([code, parts, locale.list(parts)]).toEqual([code, parts, expected]);
    }
  });
});

describe("friendlyNumber", () => {
  test("Tornado's own case", () => {
    expect(Locale.get("en_US").friendlyNumber(1000000)).toBe("1,000,000");
  });

  test("matches Tornado 6.2, negative numbers included", () => {
    for (const [code, value, expected] of vectors.friendlyNumber as [string, number, string][]) {
      expect([code, value, new CSVLocale(code).friendlyNumber(value)]).toEqual([code, value, expected]);
    }
  });

  test("prints every digit of large integers", () => {
    expect(Locale.get().friendlyNumber(10n ** 21n)).toBe("1,000,000,000,000,000,000,000");
    expect(Locale.get().friendlyNumber(1e21)).toBe("1,000,000,000,000,000,000,000");
  });

  test("a non-integer is an error", () => {
    expect(() => Locale.get().friendlyNumber(1.5)).toThrow(LocaleError);
    expect(() => Locale.get().friendlyNumber(Number.NaN)).toThrow(LocaleError);
  });
});

describe("parseAcceptLanguage", () => {
  test("orders by q, highest first, keeping header order for ties", () => {
    expect(parseAcceptLanguage("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5")).toEqual(["fr-CH", "fr", "en", "de", "*"]);
    expect(parseAcceptLanguage("a;q=0.5,b;q=0.5,c;q=0.9")).toEqual(["c", "a", "b"]);
  });

  test("drops q=0, and treats a malformed or negative q as 0", () => {
    expect(parseAcceptLanguage("en;q=0, fr")).toEqual(["fr"]);
    expect(parseAcceptLanguage("en;q=abc, de;q=-1, fr")).toEqual(["fr"]);
  });

  test("the result feeds Locale.get, which skips * and falls back to the default", () => {
    loadTranslations(tornadoCsv);
    expect(Locale.get(...parseAcceptLanguage("*;q=1, de-AT;q=0.5")).code).toBe("de");
    expect(Locale.get(...parseAcceptLanguage("*")).code).toBe("en_US");
  });

  test("matches Tornado 6.2's get_browser_locale on every header", () => {
    for (const [header, codes] of vectors.acceptLanguage as [string, string[]][]) {
      expect([header, parseAcceptLanguage(header)]).toEqual([header, codes]);
    }
  });
});

describe("interpolate", () => {
  test("fills named placeholders as Python's % operator", () => {
    expect(interpolate("%(name)s liked this", { name: "Ana" })).toBe("Ana liked this");
    expect(interpolate("%(n)d of %(total)i, 100%%", { n: 3.9, total: 7 })).toBe("3 of 7, 100%");
    expect(interpolate("no placeholders", {})).toBe("no placeholders");
  });

  test("supports flags, width and precision", () => {
    const values = { a: Number.NaN, b: -42, c: 255, d: "h\u00e9llo", e: 3.14159 };
    expect(interpolate("%(a)+f|%(a) 5.1f|%(b)-6d|%(b)06d|%(c)#x|%(c)e|%(d)r|%(d).2s", values)).toBe(
      "+nan|  nan|-42   |-00042|0xff|2.550000e+02|'h\u00e9llo'|h\u00e9",
    );
    expect(interpolate("%(e)5.1f|%(c)X|%(c)o|%(d)8s|", values)).toBe("  3.1|FF|377|   h\u00e9llo|");
  });

  test("formats floats from their exact binary value, ties to even, as Python", () => {
    // Expected strings printed by Python 3.11's % operator.
    const cases: [string, number, string][] = [
      ["%(x).1f", 42.25, "42.2"], ["%(x).0f", 0.5, "0"], ["%(x).0f", 2.5, "2"], ["%(x).2e", 1.125, "1.12e+00"],
      ["%(x).1f", 0.05, "0.1"], ["%(x)e", 1e-310, "1.000000e-310"], ["%(x).3f", 1e21, "1000000000000000000000.000"],
      ["%(x).0e", 25, "2e+01"], ["%(x)e", 0, "0.000000e+00"], ["%(x).1f", -0, "-0.0"], ["%(x).0f", -0.4, "-0"],
      ["%(x)e", 9.9999999, "1.000000e+01"], ["%(x).1e", 9.99, "1.0e+01"], ["%(x)e", 1e300, "1.000000e+300"],
      ["%(x).2f", 1.005, "1.00"], ["%(x)f", 123456789.123456789, "123456789.123457"],
      ["%(x)E", -5e-324, "-4.940656E-324"], ["%(x).0f", 1e22, "10000000000000000000000"],
      ["%(x)e", 1000, "1.000000e+03"], ["%(x).3e", 0.001, "1.000e-03"],
    ];
    for (const [format, x, expected] of cases) expect([format, x, interpolate(format, { x })]).toEqual([format, x, expected]);
  });

  test("a missing key, an unnamed placeholder or a bad conversion is an InterpolationError", () => {
    expect(() => interpolate("%(name)s", {})).toThrow(InterpolationError);
    expect(() => interpolate("%s", { s: 1 })).toThrow(InterpolationError);
    expect(() => interpolate("%(n)d", { n: "three" })).toThrow("%d format: a number is required, not string");
    expect(() => interpolate("%(n)q", { n: 1 })).toThrow("unsupported format character 'q'");
    expect(() => interpolate("100%", {})).toThrow("incomplete format");
    expect(new InterpolationError("x")).toBeInstanceOf(LocaleError);
  });
});

describe("CSV parsing", () => {
  const records = captureGenLog();

  test("reads Excel-dialect rows as Python's csv module", () => {
    expect(parseCsvRows('"a ""b""",c\n\nd')).toEqual([['a "b"', "c"], [], ["d"]]);
    expect(parseCsvRows('ab"c,"x\r\ny"z,\r\n,')).toEqual([['ab"c', "x\nyz", ""], ["", ""]]);
    expect(parseCsvRows('"unterminated')).toEqual([["unterminated"]]);
    expect(parseCsvRows(' "a", "b"')).toEqual([[' "a"', ' "b"']]);
  });

  test("applies Tornado's row rules: strip, skip short rows, plural column", () => {
    const text = [
      '"school","\u00e9cole"',
      "one cell",
      '  spaced , out ,',
      '"club","le club","singular"',
      '"clubs","les clubs","plural"',
      '"x","y","unknown"',
    ].join("\n");
    expect(parseCsvTranslations(text)).toEqual({
      unknown: { school: "\u00e9cole", spaced: "out", x: "y" },
      singular: { club: "le club" },
      plural: { clubs: "les clubs" },
    });
  });

  test("a later row for the same message wins", () => {
    expect(parseCsvTranslations('a,first\na,second').unknown).toEqual({ a: "second" });
  });

  test("logs and skips a row with an unknown plural indicator", () => {
    const parsed = parseCsvTranslations('"a","b"\n\n"pair","la paire","dual"\n"c","d"', "fr_FR.csv");
    expect(parsed).toEqual({ unknown: { a: "b", c: "d" } });
    expect(records.map((r) => [r.levelName, r.message])).toEqual([
      ["ERROR", "Unrecognized plural indicator 'dual' in fr_FR.csv line 3"],
    ]);
  });

  test("strips whitespace as Python's str.strip(), not JavaScript's trim()", () => {
    expect(parseCsvTranslations("\u0085a\u001f,\ufeffb").unknown).toEqual({ a: "\ufeffb" });
  });
});
