/**
 * Date formatting for locales — the rules of Tornado's `Locale.format_date` and
 * `Locale.format_day`, kept apart from the translation machinery in `locale.ts`.
 *
 * All arithmetic is on UTC instants shifted by the caller's `gmtOffset`, as in Tornado
 * (whose naive datetimes are UTC): the machine's time zone never changes an output.
 * @module
 */

import { LocaleError } from "./locale-error.js";
import { interpolate } from "./locale-interpolate.js";

/** Options of `Locale.formatDate`. */
export interface FormatDateOptions {
  /**
   * Minutes to subtract from UTC to reach the reader's local time — the sign convention
   * of JavaScript's `Date.prototype.getTimezoneOffset()` and of Tornado: 480 for UTC−8,
   * -60 for UTC+1. Default 0 (UTC).
   */
  gmtOffset?: number;
  /** Say "2 minutes ago", "yesterday at …" for recent dates. Default true. */
  relative?: boolean;
  /** Leave out the time ("yesterday", "Monday", "March 5, 2023"). Default false. */
  shorter?: boolean;
  /** Always give month, day and year ("March 5, 2023 at 10:00 am"). Default false. */
  fullFormat?: boolean;
  /**
   * The instant to count back from (a `Date`, or Unix seconds); the current time by
   * default. A Cyclone addition, so output can be reproduced.
   */
  now?: Date | number;
}

/** Options of `Locale.formatDay`. */
export interface FormatDayOptions {
  /** Minutes to subtract from UTC, as {@link FormatDateOptions.gmtOffset}. Default 0. */
  gmtOffset?: number;
  /** Start with the day of the week ("Sunday, April 28"). Default true. */
  dow?: boolean;
}

/**
 * What the formatters need from a locale.
 * @internal
 */
export interface Calendar {
  readonly code: string;
  readonly months: readonly string[];
  readonly weekdays: readonly string[];
  translate(message: string, pluralMessage?: string, count?: number): string;
}

const SECOND_US = 1_000_000;
const DAY_US = 86_400 * SECOND_US;

// Instants are integer microseconds since the epoch, Python datetime's resolution, so
// that fractional Unix timestamps compare exactly as they do in Tornado.
function toMicros(date: Date | number, what: string): number {
  const us = typeof date === "number" ? Math.round(date * SECOND_US) : date.getTime() * 1000;
  if (!Number.isFinite(us)) throw new LocaleError(`${what} is not a valid date: ${String(date)}`);
  return us;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** Monday is 0, as Python's weekday(). */
  weekday: number;
}

function fieldsOf(us: number): Fields {
  const d = new Date(Math.floor(us / 1000));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth(),
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: (d.getUTCDay() + 6) % 7,
  };
}

// Python 3's round() rounds halves to even: 90 s is "2 minutes", 150 s is "2 minutes".
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function offsetMicros(gmtOffset: number): number {
  if (!Number.isFinite(gmtOffset)) throw new LocaleError(`gmtOffset must be a finite number of minutes`);
  return Math.round(gmtOffset * 60 * SECOND_US);
}

/**
 * Formats `date` for `cal` by Tornado's `format_date` rules.
 * @internal
 */
export function formatDate(cal: Calendar, date: Date | number, options: FormatDateOptions): string {
  const relative = options.relative ?? true;
  const shorter = options.shorter ?? false;
  let fullFormat = options.fullFormat ?? false;
  const nowUs = toMicros(options.now ?? new Date(), "now");
  let dateUs = toMicros(date, "date");
  const offset = offsetMicros(options.gmtOffset ?? 0);
  const _ = cal.translate.bind(cal);

  if (dateUs > nowUs) {
    // Tornado compares timedelta.seconds, the seconds within the last day of the gap, so
    // this is also true a whole number of days ahead; kept for identical output.
    const aheadSeconds = Math.floor(((dateUs - nowUs) % DAY_US) / SECOND_US);
    if (relative && aheadSeconds < 60) dateUs = nowUs; // clock skew: treat as now
    else fullFormat = true;
  }
  const local = fieldsOf(dateUs - offset);
  const localYesterday = fieldsOf(nowUs - offset - DAY_US);
  // Python's timedelta normalisation: whole days (floored), then seconds in [0, 86400).
  const difference = nowUs - dateUs;
  const days = Math.floor(difference / DAY_US);
  const seconds = Math.floor((difference - days * DAY_US) / SECOND_US);

  let format: string | undefined;
  if (!fullFormat) {
    if (relative && days === 0) {
      if (seconds < 50) {
        return interpolate(_("1 second ago", "%(seconds)d seconds ago", seconds), { seconds });
      }
      if (seconds < 50 * 60) {
        const minutes = roundHalfEven(seconds / 60);
        return interpolate(_("1 minute ago", "%(minutes)d minutes ago", minutes), { minutes });
      }
      const hours = roundHalfEven(seconds / 3600);
      return interpolate(_("1 hour ago", "%(hours)d hours ago", hours), { hours });
    }
    if (days === 0) format = _("%(time)s");
    else if (days === 1 && local.day === localYesterday.day && relative) {
      format = shorter ? _("yesterday") : _("yesterday at %(time)s");
    } else if (days < 5) format = shorter ? _("%(weekday)s") : _("%(weekday)s at %(time)s");
    // Under 11 months, since "March 5" could be misread as last year's in the same month.
    else if (days < 334) format = shorter ? _("%(month_name)s %(day)s") : _("%(month_name)s %(day)s at %(time)s");
  }
  format ??= shorter ? _("%(month_name)s %(day)s, %(year)s") : _("%(month_name)s %(day)s, %(year)s at %(time)s");

  return interpolate(format, {
    month_name: cal.months[local.month],
    weekday: cal.weekdays[local.weekday],
    day: String(local.day),
    year: String(local.year),
    time: timeString(cal.code, local),
  });
}

// English uses a 12-hour clock with am/pm, Simplified Chinese 上午/下午 before the time;
// every other locale (Japanese included, as in Tornado) a 24-hour clock.
function timeString(code: string, t: Fields): string {
  const minute = String(t.minute).padStart(2, "0");
  const hour12 = t.hour % 12 || 12;
  if (code === "zh_CN") return `${t.hour >= 12 ? "\u4e0b\u5348" : "\u4e0a\u5348"}${hour12}:${minute}`;
  if (code === "en" || code === "en_US") return `${hour12}:${minute} ${t.hour >= 12 ? "pm" : "am"}`;
  return `${t.hour}:${minute}`;
}

/**
 * Formats `date` for `cal` by Tornado's `format_day` rules.
 * @internal
 */
export function formatDay(cal: Calendar, date: Date | number, options: FormatDayOptions): string {
  const local = fieldsOf(toMicros(date, "date") - offsetMicros(options.gmtOffset ?? 0));
  const _ = cal.translate.bind(cal);
  if (options.dow ?? true) {
    return interpolate(_("%(weekday)s, %(month_name)s %(day)s"), {
      month_name: cal.months[local.month],
      weekday: cal.weekdays[local.weekday],
      day: String(local.day),
    });
  }
  return interpolate(_("%(month_name)s %(day)s"), { month_name: cal.months[local.month], day: String(local.day) });
}
