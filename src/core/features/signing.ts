/**
 * The signing feature: signed cookies and XSRF tokens for `RequestHandler`
 * (`createSignedValue`, `setSignedCookie`, `getSignedCookie`, `getSignedCookieKeyVersion`,
 * `xsrfToken`, `checkXsrfCookie`, `xsrfFormHtml` and the `xsrfCookies` setting).
 *
 * Importing this module installs it; the full entries do. Re-exports the signing
 * functions, so `import { createSignedValue } from "cyclone/features/signing"` works too.
 * @module
 */

import type { CookieOptions } from "../cookies.js";
import { HTTPError } from "../errors.js";
import { xhtmlEscape } from "../escape.js";
import { installFeature } from "../features.js";
import {
  type CookieSecret,
  createSignedValue,
  decodeSignedValue,
  decodeXsrfToken,
  encodeXsrfToken,
  getSignatureKeyVersion,
  newXsrfToken,
  xsrfTokensEqual,
} from "../signing.js";
import type { RequestHandler } from "../web.js";

export * from "../signing.js";

interface RawXsrf {
  version: number | null;
  token: Uint8Array;
  timestamp: number;
}

// Per-request XSRF state, kept out of the handler so handlers that never sign pay nothing.
const xsrfTokens = new WeakMap<RequestHandler, string>();
const rawTokens = new WeakMap<RequestHandler, RawXsrf>();

function rawXsrfToken(handler: RequestHandler): RawXsrf {
  let raw = rawTokens.get(handler);
  if (raw === undefined) {
    const cookie = handler.getCookie((handler.settings["xsrfCookieName"] as string | undefined) ?? "_xsrf");
    const decoded = cookie ? decodeXsrfToken(cookie) : null;
    raw = decoded !== null && decoded.token.length > 0 ? decoded : { version: null, token: newXsrfToken(), timestamp: Math.floor(Date.now() / 1000) };
    rawTokens.set(handler, raw);
  }
  return raw;
}

function secretOf(handler: RequestHandler): CookieSecret {
  handler.requireSetting("cookieSecret", "secure cookies");
  return handler.settings["cookieSecret"] as CookieSecret;
}

installFeature("signing", {
  createSignedValue(handler, name, value, version) {
    const secret = secretOf(handler);
    const keyVersion = handler.settings["keyVersion"];
    return createSignedValue(secret, name, value, {
      ...(version !== undefined ? { version } : {}),
      ...(typeof keyVersion === "number" ? { keyVersion } : {}),
    });
  },

  getSignedCookie(handler, name, value, options) {
    return decodeSignedValue(secretOf(handler), name, value ?? handler.getCookie(name), {
      maxAgeDays: options.maxAgeDays ?? 31,
      ...(options.minVersion !== undefined ? { minVersion: options.minVersion } : {}),
    });
  },

  getSignedCookieKeyVersion(handler, value) {
    secretOf(handler);
    return value === undefined ? null : getSignatureKeyVersion(value);
  },

  xsrfToken(handler) {
    let token = xsrfTokens.get(handler);
    if (token === undefined) {
      const raw = rawXsrfToken(handler);
      const version = (handler.settings["xsrfCookieVersion"] as number | undefined) ?? 2;
      if (version !== 1 && version !== 2) throw new Error(`unknown xsrf cookie version ${version}`);
      token = encodeXsrfToken(raw.token, { version, timestamp: raw.timestamp });
      xsrfTokens.set(handler, token);
      if (raw.version === null) {
        const kwargs: CookieOptions = { ...((handler.settings["xsrfCookieKwargs"] as CookieOptions | undefined) ?? {}) };
        if (handler.currentUser && kwargs.expiresDays === undefined) kwargs.expiresDays = 30;
        handler.setCookie((handler.settings["xsrfCookieName"] as string | undefined) ?? "_xsrf", token, kwargs);
      }
    }
    return token;
  },

  checkXsrfCookie(handler) {
    const headers = handler.request.headers;
    const token = handler.getArgument("_xsrf", null) || headers.get("X-Xsrftoken") || headers.get("X-Csrftoken");
    if (!token) throw new HTTPError(403, "'_xsrf' argument missing from POST");
    const decoded = decodeXsrfToken(token);
    const expected = rawXsrfToken(handler).token;
    if (decoded === null || decoded.token.length === 0) throw new HTTPError(403, "'_xsrf' argument has invalid format");
    if (!xsrfTokensEqual(decoded.token, expected)) throw new HTTPError(403, "XSRF cookie does not match POST argument");
  },

  xsrfFormHtml(handler) {
    return `<input type="hidden" name="_xsrf" value="${xhtmlEscape(handler.xsrfToken)}"/>`;
  },
});
