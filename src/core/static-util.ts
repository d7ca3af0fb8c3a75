/**
 * Helpers behind `StaticFileHandler`, free of any file system: POSIX path normalisation
 * (Python's `os.path.abspath(os.path.join(root, path))` without the working directory),
 * the root check, content-type guessing (a built-in table in the spirit of Python's
 * `mimetypes`), `Range` header parsing (Tornado's `httputil._parse_request_range` and
 * `_get_content_range`), and HTTP date parsing (Python's `email.utils.parsedate_to_datetime`)
 * for `If-Modified-Since`.
 * @module
 */

/**
 * Normalises a POSIX path as Python's `posixpath.normpath`: collapses `//`, `.` and `..`
 * (never above the root of an absolute path), keeps exactly two leading slashes.
 *
 * @example
 * normalizePath("/a/./b/../c//d"); // "/a/c/d"
 * normalizePath("/../etc");       // "/etc"
 */
export function normalizePath(p: string): string {
  if (p === "") return ".";
  const lead = p.startsWith("/") ? (p.startsWith("//") && !p.startsWith("///") ? 2 : 1) : 0;
  const out: string[] = [];
  for (const c of p.split("/")) {
    if (c === "" || c === ".") continue;
    if (c !== ".." || (lead === 0 && out.length === 0) || (out.length > 0 && out[out.length - 1] === "..")) out.push(c);
    else if (out.length > 0) out.pop();
  }
  const joined = "/".repeat(lead) + out.join("/");
  return joined === "" ? "." : joined;
}

/**
 * Joins as Python's `posixpath.join(a, b)`: an absolute `b` replaces `a`.
 *
 * @example
 * joinPath("/srv/static", "css/a.css"); // "/srv/static/css/a.css"
 * joinPath("/srv/static", "/etc/passwd"); // "/etc/passwd"
 */
export function joinPath(a: string, b: string): string {
  if (b.startsWith("/")) return b;
  if (a === "" || a.endsWith("/")) return a + b;
  return a + "/" + b;
}

/**
 * Whether the normalised `absolutePath` lies in (or is) the directory `root`, compared as
 * Tornado does (`(path + "/").startswith(root + "/")`, so `/static-evil` is not inside
 * `/static`). A relative root is compared lexically; `.` contains every relative path that
 * does not climb out of it.
 *
 * @example
 * isInsideRoot("/srv/static", "/srv/static/a.css"); // true
 * isInsideRoot("/srv/static", "/srv/static-old/a.css"); // false
 */
export function isInsideRoot(root: string, absolutePath: string): boolean {
  const r = normalizePath(root);
  if (r === ".") return !absolutePath.startsWith("/") && absolutePath !== ".." && !absolutePath.startsWith("../");
  const prefix = r.endsWith("/") ? r : r + "/";
  return (absolutePath + "/").startsWith(prefix);
}

// Python 3.11's mimetypes.types_map plus the common entries of /etc/mime.types, for the
// types a web application serves. Keys are lower-case extensions.
const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html", ".htm": "text/html", ".xhtml": "application/xhtml+xml",
  ".css": "text/css", ".js": "text/javascript", ".mjs": "text/javascript",
  ".json": "application/json", ".jsonld": "application/ld+json", ".webmanifest": "application/manifest+json",
  // Not in Python's table (it would answer application/octet-stream): source maps are JSON.
  ".map": "application/json",
  ".txt": "text/plain", ".text": "text/plain", ".csv": "text/csv", ".md": "text/markdown",
  ".xml": "application/xml", ".xsl": "application/xml", ".rss": "application/x-rss+xml", ".atom": "application/atom+xml",
  ".ics": "text/calendar", ".vcf": "text/vcard", ".rtf": "application/rtf",
  ".png": "image/png", ".apng": "image/apng", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg",
  ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp", ".avif": "image/avif",
  ".ico": "image/vnd.microsoft.icon", ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff",
  ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
  ".eot": "application/vnd.ms-fontobject",
  ".wasm": "application/wasm", ".pdf": "application/pdf", ".zip": "application/zip", ".tar": "application/x-tar",
  ".7z": "application/x-7z-compressed", ".zst": "application/zstd", ".bin": "application/octet-stream",
  ".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg", ".mpeg": "video/mpeg",
  ".mpg": "video/mpeg", ".mov": "video/quicktime", ".avi": "video/x-msvideo",
  ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
  ".wav": "audio/x-wav", ".flac": "audio/flac",
  ".doc": "application/msword", ".py": "text/x-python", ".sh": "text/x-sh", ".c": "text/x-csrc", ".h": "text/x-chdr",
  ".appcache": "text/cache-manifest", ".manifest": "text/cache-manifest",
};
// Python's encodings_map: these suffixes name a compression, looked up case-sensitively.
const ENCODINGS: Readonly<Record<string, string>> = { ".gz": "gzip", ".Z": "compress", ".bz2": "bzip2", ".xz": "xz", ".br": "br" };
// Python's suffix_map: shorthand suffixes for a type plus a compression.
const SUFFIXES: Readonly<Record<string, string>> = {
  ".svgz": ".svg.gz", ".tgz": ".tar.gz", ".taz": ".tar.gz", ".tz": ".tar.gz", ".tbz2": ".tar.bz2", ".txz": ".tar.xz",
};

/** Python's `posixpath.splitext`: leading dots of the file name do not start an extension. */
function splitExt(p: string): [string, string] {
  const slash = p.lastIndexOf("/");
  const dot = p.lastIndexOf(".");
  if (dot <= slash + 1) return [p, ""];
  for (let i = slash + 1; i < dot; i++) if (p[i] !== ".") return [p.slice(0, dot), p.slice(dot)];
  return [p, ""];
}

/**
 * Guesses a file's type and compression from its name, as Python's
 * `mimetypes.guess_type`: `[type or null, encoding or null]`.
 *
 * @example
 * guessType("a/b.tar.gz"); // ["application/x-tar", "gzip"]
 */
export function guessType(path: string): [string | null, string | null] {
  let [base, ext] = splitExt(path);
  for (let guard = 0; guard < 8 && SUFFIXES[ext.toLowerCase()] !== undefined; guard++) {
    [base, ext] = splitExt(base + SUFFIXES[ext.toLowerCase()]);
  }
  let encoding: string | null = null;
  if (Object.hasOwn(ENCODINGS, ext)) {
    encoding = ENCODINGS[ext]!;
    [base, ext] = splitExt(base);
  }
  const type = Object.hasOwn(TYPES, ext.toLowerCase()) ? TYPES[ext.toLowerCase()]! : null;
  return [type, encoding];
}

/**
 * The `Content-Type` for a file, as Tornado 6.2's `StaticFileHandler.get_content_type`:
 * `application/gzip` for gzip-compressed files (RFC 6713), `application/octet-stream` for
 * other compressions and unknown types, else the guessed type (no charset is added).
 *
 * @example
 * contentTypeFor("/srv/static/app.js");    // "text/javascript"
 * contentTypeFor("/srv/static/data.json.gz"); // "application/gzip"
 */
export function contentTypeFor(path: string): string {
  const [type, encoding] = guessType(path);
  if (encoding === "gzip") return "application/gzip";
  if (encoding !== null) return "application/octet-stream";
  return type ?? "application/octet-stream";
}

/** Python's `int()` on a string, as far as a byte position needs it: sign, digits, `_`. */
function intOrNull(s: string): number | null | undefined {
  const t = s.trim();
  if (t === "") return null;
  if (!/^[+-]?\d+(?:_\d+)*$/.test(t)) return undefined;
  return Number(t.replaceAll("_", ""));
}

/**
 * Parses a `Range` header into `[start, end]` slice indexes (end exclusive; `start`
 * negative for a suffix range), or `null` when it is not a single byte range — Tornado's
 * `_parse_request_range`. The caller ignores an unparseable header, as RFC 7233 says.
 *
 * @example
 * parseRequestRange("bytes=1-2"); // [1, 3]
 * parseRequestRange("bytes=-6");  // [-6, null]
 * parseRequestRange("bytes=1-2,6-10"); // null
 */
export function parseRequestRange(header: string): [number | null, number | null] | null {
  const eq = header.indexOf("=");
  const unit = (eq === -1 ? header : header.slice(0, eq)).trim();
  const value = eq === -1 ? "" : header.slice(eq + 1).trim();
  if (unit !== "bytes") return null;
  const dash = value.indexOf("-");
  let start = intOrNull(dash === -1 ? value : value.slice(0, dash));
  let end = intOrNull(dash === -1 ? "" : value.slice(dash + 1));
  if (start === undefined || end === undefined) return null;
  if (end !== null) {
    if (start === null) {
      if (end !== 0) {
        start = -end;
        end = null;
      }
    } else end += 1;
  }
  return [start, end];
}

/**
 * The `Content-Range` value for slice indexes of a `total`-byte resource, as Tornado's
 * `_get_content_range`.
 *
 * @example
 * getContentRange(1, 3, 4); // "bytes 1-2/4"
 */
export function getContentRange(start: number | null, end: number | null, total: number): string {
  return `bytes ${start ?? 0}-${(end || total) - 1}/${total}`;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
// Python's email._parseaddr._timezones, in hours from UTC.
const ZONES: Readonly<Record<string, number>> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0, AST: -4, ADT: -3, EST: -5, EDT: -4, CST: -6, CDT: -5, MST: -7, MDT: -6, PST: -8, PDT: -7,
};

/**
 * Parses an HTTP/email date as Python's `email.utils.parsedate_to_datetime`: RFC 1123
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`), asctime
 * (`Sun Nov  6 08:49:37 1994`), numeric and named zones; a date without zone is UTC, as
 * Tornado assumes. `null` for anything else or an impossible date.
 *
 * @example
 * parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")?.toISOString(); // "1994-11-06T08:49:37.000Z"
 */
export function parseHttpDate(value: string): Date | null {
  let data = value.trim().split(/\s+/).filter((s) => s !== "");
  if (data.length === 0) return null;
  // A leading day name (with a comma, or alone) carries nothing.
  if (data[0]!.endsWith(",") || DAY_NAMES.includes(data[0]!.slice(0, 3).toLowerCase())) data = data.slice(1);
  if (data.length === 3) {
    // RFC 850: "06-Nov-94 08:49:37 GMT".
    const dmy = data[0]!.split("-");
    if (dmy.length === 3) data = [...dmy, ...data.slice(1)];
  }
  if (data.length === 4) {
    // "06 Nov 1994 08:49:37+0200": a zone glued to the time.
    const m = /^(.*?)([+-]\d{4})$/.exec(data[3]!);
    if (m && m[1]) data = [...data.slice(0, 3), m[1], m[2]!];
    else data.push("");
  }
  if (data.length < 5) return null;
  let [dd, mm, yy, tm, tz] = data.slice(0, 5) as [string, string, string, string, string];
  let month = monthIndex(mm);
  if (month === -1) {
    // asctime and friends put the month first: "Nov 6 08:49:37 1994".
    [dd, mm] = [mm, dd];
    month = monthIndex(mm);
    if (month === -1) return null;
  }
  if (dd.endsWith(",")) dd = dd.slice(0, -1);
  if (yy.includes(":")) [yy, tm] = [tm, yy]; // asctime: the year comes after the time
  if (yy.endsWith(",")) yy = yy.slice(0, -1);
  if (!/^\d+$/.test(yy)) {
    [yy, tz] = [tz, yy];
    if (!/^\d+$/.test(yy)) return null;
  }
  if (tm.endsWith(",")) tm = tm.slice(0, -1);
  const t = /^(\d+):(\d+)(?::(\d+))?$/.exec(tm);
  if (!/^\d+$/.test(dd) || t === null) return null;
  let year = Number(yy);
  if (yy.length <= 2) year += year > 68 ? 1900 : 2000;
  const day = Number(dd);
  const [h, mi, s] = [Number(t[1]), Number(t[2]), Number(t[3] ?? 0)];
  if (day < 1 || day > daysIn(year, month) || h > 23 || mi > 59 || s > 59) return null;
  let offsetMinutes = 0;
  const zone = tz.toUpperCase();
  if (Object.hasOwn(ZONES, zone)) offsetMinutes = ZONES[zone]! * 60;
  else if (/^[+-]\d{4}$/.test(tz)) {
    const n = Number(tz.slice(1));
    offsetMinutes = (tz[0] === "-" ? -1 : 1) * (Math.floor(n / 100) * 60 + (n % 100));
  }
  const ms = Date.UTC(year, month, day, h, mi, s) - offsetMinutes * 60_000;
  const d = new Date(ms);
  // Date.UTC maps years 0–99 to 1900–1999; set the full year back.
  if (year < 100) d.setUTCFullYear(year);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The month (0–11) named by a three-letter or full English name, as Python's table; -1 if none. */
function monthIndex(s: string): number {
  const l = s.toLowerCase();
  const i = MONTHS.indexOf(l);
  return i !== -1 ? i : MONTH_NAMES.indexOf(l);
}

function daysIn(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]!;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
