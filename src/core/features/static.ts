/**
 * The static-files feature: the `staticPath` setting's routes (`StaticFileHandler` under
 * `staticUrlPrefix`, `/robots.txt`, `/favicon.ico`) and `staticUrl`'s versioned URLs.
 * Importing this module installs it; the full entries do. Re-exports the static API.
 * @module
 */

import { installFeature } from "../features.js";
import { StaticFileHandler, staticHandlerRules, staticUrl } from "../static.js";

export * from "../static.js";

installFeature("static", {
  rules: staticHandlerRules,
  url: (settings, path, includeVersion) => staticUrl(settings, path, { includeVersion }),
  resetHashes(settings) {
    (settings.staticHandlerClass ?? StaticFileHandler).reset();
  },
});
