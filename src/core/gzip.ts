/**
 * Response compression — Tornado's `GZipContentEncoding`, turned on by the
 * `compressResponse` setting.
 *
 * The core decides, exactly as Tornado does, whether a response is compressed (the client
 * accepts gzip, the type is compressible, a finished body is at least 1024 bytes, nothing
 * set Content-Encoding already) and fixes the headers; the host does the compressing with
 * what its runtime does best (zlib on Node, the runtime's own encoder on Workers), so the
 * core carries no compression code and streaming keeps its back-pressure.
 * @module
 */

import { type Chunk, type HTTPHeaders, type HTTPServerRequest, utf8Length } from "./httputil.js";
import type { OutputTransform } from "./web.js";

const COMPRESSIBLE = new Set([
  "application/javascript",
  "application/x-javascript",
  "application/xml",
  "application/atom+xml",
  "application/json",
  "application/xhtml+xml",
  "image/svg+xml",
]);

/** Tornado's threshold: smaller finished bodies are not worth compressing. */
export const GZIP_MIN_LENGTH = 1024;

/** Whether a content type is worth compressing (text/*, JSON, XML, JS, SVG). */
export function isCompressibleType(contentType: string): boolean {
  return contentType.startsWith("text/") || COMPRESSIBLE.has(contentType);
}

/**
 * Compresses responses with gzip when the client accepts it. Adds `Vary:
 * Accept-Encoding` to every response, as Tornado does.
 */
export class GZipContentEncoding implements OutputTransform {
  #gzipping: boolean;
  /** Set once the first chunk shows the response will be compressed. */
  contentEncoding: "gzip" | undefined;

  constructor(request: HTTPServerRequest) {
    this.#gzipping = (request.headers.get("Accept-Encoding") ?? "").includes("gzip");
  }

  transformFirstChunk(statusCode: number, headers: HTTPHeaders, chunk: Chunk, finishing: boolean): [number, Chunk] {
    const vary = headers.get("Vary");
    headers.set("Vary", vary === undefined ? "Accept-Encoding" : `${vary}, Accept-Encoding`);
    if (this.#gzipping) {
      const ctype = (headers.get("Content-Type") ?? "").split(";")[0]!;
      const length = typeof chunk === "string" ? utf8Length(chunk) : chunk.length;
      this.#gzipping =
        isCompressibleType(ctype) && (!finishing || length >= GZIP_MIN_LENGTH) && !headers.has("Content-Encoding") && statusCode !== 204 && statusCode !== 304;
    }
    if (this.#gzipping) {
      headers.set("Content-Encoding", "gzip");
      // The host sets the compressed length for a finished body, or streams it chunked.
      headers.delete("Content-Length");
      this.contentEncoding = "gzip";
    }
    return [statusCode, chunk];
  }

  transformChunk(chunk: Chunk): Chunk {
    return chunk;
  }
}

/** The transform factory the `compressResponse` setting installs. */
export function gzipTransform(request: HTTPServerRequest): OutputTransform {
  return new GZipContentEncoding(request);
}
