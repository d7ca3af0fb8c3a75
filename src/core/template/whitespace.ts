/**
 * Whitespace modes of the template language — Tornado's `filter_whitespace`.
 * @module
 */

import { TemplateError } from "./errors.js";

/** How a template's literal text keeps its whitespace; see {@link filterWhitespace}. */
export type WhitespaceMode = "all" | "single" | "oneline";

// Python's `\s` on str (what Tornado's regexes use) is not JavaScript's `\s`: it includes
// U+001C..U+001F and U+0085 and excludes U+FEFF. Spelled out so output matches Tornado's.
export const PY_SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const TABS_AND_SPACES = /[\t ]+/g;
const AROUND_NEWLINE = new RegExp(`[${PY_SPACE}]*\\n[${PY_SPACE}]*`, "g");
const ANY_SPACE = new RegExp(`[${PY_SPACE}]+`, "g");

const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`);
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`);

/** Python's `str.strip()`: removes leading and trailing (Python) whitespace. */
export function pyStrip(text: string): string {
  return text.replace(LEADING_SPACE, "").replace(TRAILING_SPACE, "");
}

/** True if `mode` is one of the whitespace modes. */
export function isWhitespaceMode(mode: unknown): mode is WhitespaceMode {
  return mode === "all" || mode === "single" || mode === "oneline";
}

/**
 * Transforms the whitespace in `text` according to `mode`, as Tornado's
 * `filter_whitespace`:
 *
 * - `all`: keeps all whitespace unchanged;
 * - `single`: collapses each run of spaces and tabs to one space, and each run of
 *   whitespace containing a newline to one newline;
 * - `oneline`: collapses every run of whitespace (newlines included) to one space.
 *
 * Throws {@link TemplateError} for any other mode.
 *
 * @example
 * filterWhitespace("single", "  a \n\n  b"); // " a\nb"
 * filterWhitespace("oneline", "a \n b");     // "a b"
 */
export function filterWhitespace(mode: string, text: string): string {
  if (mode === "all") return text;
  if (mode === "single") return text.replace(TABS_AND_SPACES, " ").replace(AROUND_NEWLINE, "\n");
  if (mode === "oneline") return text.replace(ANY_SPACE, " ");
  throw new TemplateError(`invalid whitespace mode ${mode}`);
}
