/**
 * The Node host's static file source: `StaticFileHandler` reading from disk.
 *
 * Files are streamed in 64 KiB chunks with `fs.createReadStream` (ranges included), so a
 * file of any size is served in constant memory. `resolve` follows symbolic links and
 * refuses any path whose real location is outside the real root. Content hashes are
 * SHA-512 hex of the file (Tornado 6.2's `get_content_version`), computed synchronously in
 * chunks as Tornado does, so `staticUrl` can version a URL on first use.
 * @module
 */

import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import * as nodePath from "node:path";
import { Readable } from "node:stream";
import type { StaticFileSource, StaticFileStat } from "../core/static.js";

const CHUNK = 64 * 1024;
const HASH_CHUNK = 1024 * 1024;

/**
 * Static files from the local file system, for `StaticFileHandler`.
 *
 * @example
 * import { Application, NodeFileSource } from "cyclone/node";
 * const app = new Application([], { staticPath: "./static", staticFileSource: new NodeFileSource() });
 */
export class NodeFileSource implements StaticFileSource {
  /**
   * The real location of `absolutePath`, or `null` when it is outside the real root once
   * symbolic links are followed (or contains a NUL byte). A path that does not exist is
   * returned as given: its `stat` then reports it missing.
   */
  async resolve(root: string, absolutePath: string): Promise<string | null> {
    if (absolutePath.includes("\0") || root.includes("\0")) return null;
    const lexical = nodePath.resolve(absolutePath);
    let realRoot: string;
    try {
      realRoot = await realpath(nodePath.resolve(root));
    } catch {
      // No root, nothing inside it.
      return null;
    }
    let real: string;
    try {
      real = await realpath(lexical);
    } catch {
      // Missing (or unreadable): not served, whatever it would have been.
      return lexical;
    }
    const prefix = realRoot.endsWith(nodePath.sep) ? realRoot : realRoot + nodePath.sep;
    return real === realRoot || real.startsWith(prefix) ? real : null;
  }

  /** Size, modification time and kind of `path`; `null` when it cannot be stat'ed. */
  async stat(path: string): Promise<StaticFileStat | null> {
    try {
      const s = await stat(path);
      return { size: s.size, mtime: s.mtime, isFile: s.isFile(), isDirectory: s.isDirectory() };
    } catch {
      return null;
    }
  }

  /** Streams bytes `start` to `end` (exclusive) of `path` in 64 KiB chunks. */
  read(path: string, start?: number, end?: number): AsyncIterable<Uint8Array> {
    if (end !== undefined && end <= (start ?? 0)) return Readable.from([]);
    return createReadStream(path, { start, end: end === undefined ? undefined : end - 1, highWaterMark: CHUNK });
  }

  /**
   * SHA-512 hex of the file, read in chunks (constant memory).
   * @throws {Error} when the file cannot be read (the handler logs it and serves no ETag).
   */
  hash(path: string): string {
    const h = createHash("sha512");
    // Bigger reads than the streaming chunk: fewer system calls for a one-off pass.
    const buf = Buffer.allocUnsafe(HASH_CHUNK);
    const fd = openSync(path, "r");
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, HASH_CHUNK, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
    return h.digest("hex");
  }
}
