/**
 * The errors of the locale modules, in one place so that each can be matched by class.
 * @module
 */

/**
 * Thrown for misuse of the locale API: a bad locale code or translation table, a plural
 * message without a count, an invalid date, a non-integer for `friendlyNumber`.
 *
 * @example
 * try { loadTranslations({ "en-us": {} }); } catch (e) { if (e instanceof LocaleError) ... }
 */
export class LocaleError extends Error {
  override name = "LocaleError";
}

/**
 * Thrown by `interpolate` for a malformed placeholder, a missing value, or a value of the
 * wrong kind (Python's KeyError, ValueError and TypeError for `%`).
 *
 * @example
 * try { interpolate("%(n)d", {}); } catch (e) { if (e instanceof InterpolationError) ... }
 */
export class InterpolationError extends LocaleError {
  override name = "InterpolationError";
}
