/**
 * Tornado's CSV translation format, parsed from text — the part of `load_translations`
 * that does not touch the disk, so Workers can load CSV text bundled with the app.
 *
 * The reader follows Python's `csv` module in its default "excel" dialect as Tornado
 * opens the file (text mode, universal newlines): `,` separates, `"` quotes, `""` inside
 * quotes is a quote, a quote elsewhere in a field is literal, and quoted fields may span
 * lines. The rows then follow Tornado's rules: cells are stripped, rows with fewer than two
 * cells are skipped, the third cell is the plural indicator ("singular", "plural", or
 * "unknown"/empty/absent), and a row with any other indicator is logged and skipped.
 * @module
 */

import { genLog } from "./log.js";
import { pyStrip } from "./pycompat.js";

/** Which form of a message a translation is for, as Tornado's CSV third column. */
export type PluralForm = "unknown" | "singular" | "plural";

/**
 * The translations of one locale: for each plural form, English message to translation.
 * This is the shape Tornado keeps in memory, and the one {@link parseCsvTranslations}
 * produces.
 */
export interface LocaleTranslations {
  /** Messages translated without a count (`translate(message)`). */
  unknown?: Readonly<Record<string, string>>;
  /** Messages translated with `count === 1`. */
  singular?: Readonly<Record<string, string>>;
  /** Messages translated with `count !== 1` (keyed by the plural English message). */
  plural?: Readonly<Record<string, string>>;
}

/**
 * Splits CSV text into rows of cells as Python's `csv.reader` (excel dialect) does on a
 * file opened in text mode: `\r\n` and `\r` count as `\n`, a blank line is an empty row,
 * and text ending inside a quoted field closes that field.
 *
 * @example
 * parseCsvRows('"a ""b""",c\n\nd'); // [['a "b"', "c"], [], ["d"]]
 */
export function parseCsvRows(text: string): string[][] {
  const src = text.replace(/\r\n?/g, "\n");
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  // Mirrors the states of CPython's csv reader: at the start of a field, inside an
  // unquoted field, inside quotes, or just after a quote seen inside quotes.
  let state: "start" | "field" | "quoted" | "quoteInQuoted" = "start";
  let rowStarted = false;
  // A comma ends the field; a newline ends the field and the row.
  const endField = (): void => {
    row.push(field);
    field = "";
    state = "start";
  };
  const endRow = (): void => {
    endField();
    rows.push(row);
    row = [];
    rowStarted = false;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    switch (state) {
      case "start":
        if (c === "\n") {
          // An empty line is an empty row (no fields), as Python's reader gives.
          if (rowStarted) endRow();
          else {
            rows.push(row);
            row = [];
          }
        } else if (c === '"') {
          state = "quoted";
          rowStarted = true;
        } else if (c === ",") {
          endField();
          rowStarted = true;
        } else {
          field += c;
          state = "field";
          rowStarted = true;
        }
        break;
      case "field":
        if (c === ",") endField();
        else if (c === "\n") endRow();
        else field += c;
        break;
      case "quoted":
        if (c === '"') state = "quoteInQuoted";
        else field += c;
        break;
      case "quoteInQuoted":
        if (c === '"') {
          field += '"';
          state = "quoted";
        } else if (c === ",") {
          endField();
        } else if (c === "\n") {
          endRow();
        } else {
          // The excel dialect is not strict: text after a closing quote joins the field.
          field += c;
          state = "field";
        }
        break;
    }
  }
  if (rowStarted) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Parses one locale's CSV translation file, with Tornado's row rules.
 *
 * `fileName` only names the file in the error logged (on `genLog`) for a row whose plural
 * indicator is not "singular", "plural", "unknown" or empty; such rows are skipped, as in
 * Tornado. A later row for the same message and form wins.
 *
 * @example
 * parseCsvTranslations('"school","école"\n"%(n)s liked this","A %(n)s les gustó esto","plural"');
 * // { unknown: { school: "école" }, plural: { "%(n)s liked this": "A %(n)s les gustó esto" } }
 */
export function parseCsvTranslations(text: string, fileName = "<string>"): LocaleTranslations {
  const forms: Partial<Record<PluralForm, Record<string, string>>> = {};
  const rows = parseCsvRows(text);
  for (let i = 0; i < rows.length; i++) {
    const cells = rows[i]!;
    if (cells.length < 2) continue;
    const english = pyStrip(cells[0]!);
    const translation = pyStrip(cells[1]!);
    const plural = cells.length > 2 ? pyStrip(cells[2]!) || "unknown" : "unknown";
    if (plural !== "plural" && plural !== "singular" && plural !== "unknown") {
      genLog.error("Unrecognized plural indicator %s in %s line %d", pyRepr(plural), fileName, i + 1);
      continue;
    }
    // A null-prototype table keeps messages such as "constructor" from meeting Object's.
    const table = (forms[plural] ??= Object.create(null) as Record<string, string>);
    table[english] = translation;
  }
  return forms;
}

/** Python's repr() of a str, as Tornado's log lines show it (`%r`). */
export function pyRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += "\\" + quote;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += "\\x" + cp.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + quote;
}
