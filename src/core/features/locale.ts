/**
 * The locale feature: `RequestHandler.locale` and `getBrowserLocale` from the
 * `Accept-Language` header. Importing this module installs it; the full entries do.
 * Re-exports the locale API (`Locale`, `loadTranslations`, …).
 * @module
 */

import { installFeature } from "../features.js";
import { Locale, parseAcceptLanguage } from "../locale.js";

export * from "../locale.js";

installFeature("locale", {
  browserLocale(acceptLanguage, defaultCode) {
    const codes = acceptLanguage === undefined ? [] : parseAcceptLanguage(acceptLanguage);
    return codes.length > 0 ? Locale.get(...codes) : Locale.get(defaultCode);
  },
});
