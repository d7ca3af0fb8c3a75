/**
 * RFC 6455 rules the server handler and the client share: which close codes may be sent,
 * how long a close reason may be, and the part of an `Origin` that names the site.
 * @module
 */

const encoder = new TextEncoder();

/** Close codes an endpoint may send (RFC 6455 §7.4): 1004–1006 and 1015 are reserved. */
export function isValidCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));
}

/**
 * The part of a URL Python's `urlparse` calls the netloc (`host:port`, as written).
 * @internal
 */
export function originNetloc(origin: string): string {
  const m = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\/([^/?#]*)/.exec(origin);
  return m === null ? "" : m[1]!;
}

/**
 * Checks the arguments of a WebSocket close as RFC 6455 requires: a code that may be sent
 * (a reason alone means 1000) and a reason of at most 123 UTF-8 bytes. Returns the code.
 * @throws {RangeError} for a code that may not be sent or a reason that is too long.
 */
export function checkCloseArguments(code: number | undefined, reason: string | undefined): number | undefined {
  if (code === undefined && reason !== undefined) code = 1000;
  if (code !== undefined && !isValidCloseCode(code)) throw new RangeError(`invalid WebSocket close code ${code}`);
  if (reason !== undefined && encoder.encode(reason).length > 123) {
    throw new RangeError("control frame payloads may not exceed 125 bytes");
  }
  return code;
}
