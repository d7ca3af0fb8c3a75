/**
 * The errors of `IOStream` and `SSLIOStream` — Tornado's `StreamClosedError`,
 * `UnsatisfiableReadError` and `StreamBufferFullError`, plus one class for misuse of a
 * stream's state. Re-exported by `iostream`.
 * @module
 */

/**
 * Raised by stream operations once the stream is closed. `realError` is what closed it, if
 * anything did (a reset, a TLS failure, an {@link UnsatisfiableReadError}, ...).
 *
 * @example
 * try {
 *   await stream.readUntil("\n");
 * } catch (e) {
 *   if (e instanceof StreamClosedError) console.log("peer went away", e.realError);
 * }
 */
export class StreamClosedError extends Error {
  override name = "StreamClosedError";
  /** The error that closed the stream, if any. */
  readonly realError: Error | undefined;
  constructor(realError?: Error) {
    super("Stream is closed", realError ? { cause: realError } : undefined);
    this.realError = realError;
  }
}

/**
 * A `readUntil`/`readUntilRegex` with `maxBytes` found no match within the limit. The
 * stream is closed and the read rejects with a {@link StreamClosedError} carrying this error
 * as `realError`, as Tornado does.
 *
 * @example
 * stream.readUntil("\r\n", { maxBytes: 8192 }).catch((e) => {
 *   if (e.realError instanceof UnsatisfiableReadError) console.log("line too long");
 * });
 */
export class UnsatisfiableReadError extends Error {
  override name = "UnsatisfiableReadError";
}

/**
 * The read buffer would exceed `maxBufferSize`, or a write would exceed
 * `maxWriteBufferSize`. On the read side the stream is closed with this as `realError`.
 *
 * @example
 * const stream = new IOStream(socket, { maxWriteBufferSize: 1 << 20 });
 * try { stream.write(huge); } catch (e) { if (e instanceof StreamBufferFullError) slowDown(); }
 */
export class StreamBufferFullError extends Error {
  override name = "StreamBufferFullError";
}

/**
 * A stream was used in a way its state does not allow: a second read while one is pending
 * ("Already reading"), a second `waitForHandshake`, or `startTls` on a busy stream.
 *
 * @example
 * stream.readBytes(4);
 * stream.readBytes(4); // throws IOStreamStateError("Already reading")
 */
export class IOStreamStateError extends Error {
  override name = "IOStreamStateError";
}
