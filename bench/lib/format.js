// Small helpers shared by the benchmarks: medians, number formatting and plain-text tables.

/** The median of a list of numbers (NaN for an empty list). */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** A whole number with thousands separators ("-" when unknown). */
export function int(n) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-";
}

/** A number with `digits` decimals ("-" when unknown). */
export function fixed(n, digits = 2) {
  return Number.isFinite(n) ? n.toFixed(digits) : "-";
}

/** A ratio such as "0.93x" ("-" when unknown). */
export function ratio(n) {
  return Number.isFinite(n) ? `${n.toFixed(2)}x` : "-";
}

/**
 * Renders rows as a Markdown table (readable as plain text too). The first row is the
 * header; `align` holds "l" or "r" per column.
 */
export function table(rows, align) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const cell = (text, c) => (align[c] === "r" ? String(text).padStart(widths[c]) : String(text).padEnd(widths[c]));
  const line = (r) => `| ${r.map(cell).join(" | ")} |`;
  const rule = `|${widths.map((w, c) => (align[c] === "r" ? `${"-".repeat(w + 1)}:` : `:${"-".repeat(w + 1)}`)).join("|")}|`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}
