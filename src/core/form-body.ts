/**
 * Form bodies the core parses itself — `application/x-www-form-urlencoded` — and the
 * error type of every form body, {@link MultipartError}. `multipart/form-data` is the
 * multipart feature (multipart.ts), installed by the full entries.
 * @module
 */

import { type ArgumentMap, type HTTPHeaders, HTTPInputError, parseQsBytes } from "./httputil.js";

/** What is wrong with a form body, as {@link MultipartError.code}. */
export type MultipartErrorCode =
  /** `Content-Encoding` on a form body: Tornado does not decode it, so it refuses it. */
  | "CONTENT_ENCODING"
  /** A content type that only starts with `multipart/form-data` (`multipart/form-dataxyz`). */
  | "BAD_CONTENT_TYPE"
  /** No, an empty, or an over-long (more than 200 bytes) `boundary=` parameter. */
  | "NO_BOUNDARY"
  /** The closing `--boundary--` is missing: the body is truncated or not multipart. */
  | "NO_FINAL_BOUNDARY"
  /** More parts than `maxParts`. */
  | "TOO_MANY_PARTS"
  /** A part without the blank line that ends its headers. */
  | "NO_HEADERS"
  /** A part whose headers exceed `maxPartHeaderSize`. */
  | "HEADER_TOO_LARGE"
  /** Part headers that are not UTF-8 or not well-formed `Name: value` lines. */
  | "BAD_HEADERS"
  /** A part without a `Content-Disposition` header. */
  | "NO_DISPOSITION"
  /** A `Content-Disposition` other than `form-data`. */
  | "NOT_FORM_DATA"
  /** A part's content not followed by CRLF before the next boundary. */
  | "TRUNCATED_PART"
  /** A part without a (non-empty) `name` parameter. */
  | "NO_NAME";

/**
 * A malformed form body. An `HTTPInputError`, so a request whose body fails to parse gets
 * a 400; `code` tells the cases apart and the message says which part is at fault.
 *
 * @example
 * try {
 *   parseBodyArguments(contentType, body, args, files);
 * } catch (e) {
 *   if (e instanceof MultipartError && e.code === "TOO_MANY_PARTS") throw new HTTPError(413);
 *   throw e;
 * }
 */
export class MultipartError extends HTTPInputError {
  override name = "MultipartError";
  readonly code: MultipartErrorCode;
  constructor(code: MultipartErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Parses an `application/x-www-form-urlencoded` body into `args`, values kept as bytes
 * (blank values kept), as Tornado's `parse_body_arguments`.
 */
export function parseUrlencodedBody(body: Uint8Array, args: ArgumentMap): void {
  parseQsBytes(bytesToQuery(body), args);
}

/**
 * Refuses a form body sent with a `Content-Encoding`, which Tornado does not decode.
 * @throws {MultipartError} `CONTENT_ENCODING`.
 */
export function refuseContentEncoding(headers: HTTPHeaders | undefined): void {
  const enc = headers?.get("Content-Encoding");
  if (enc !== undefined) throw new MultipartError("CONTENT_ENCODING", `Unsupported Content-Encoding: ${enc}`);
}

/**
 * The body as query-string text that `parseQsBytes` turns back into the same bytes: ASCII
 * as is, other bytes percent-escaped, so raw non-UTF-8 bytes survive byte for byte.
 */
function bytesToQuery(body: Uint8Array): string {
  let s = "";
  let runStart = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (b < 0x80) continue;
    s += asciiText(body, runStart, i) + "%" + (b < 0x10 ? "0" : "") + b.toString(16);
    runStart = i + 1;
  }
  return s + asciiText(body, runStart, body.length);
}

function asciiText(b: Uint8Array, start: number, end: number): string {
  let s = "";
  // fromCharCode.apply is much faster than one call per byte; chunks keep the stack small.
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return s;
}

