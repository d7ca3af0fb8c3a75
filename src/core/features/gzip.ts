/**
 * The gzip feature: the `compressResponse` setting (Tornado's `compress_response`).
 * Importing this module installs it; the full entries do.
 * @module
 */

import { installFeature } from "../features.js";
import { gzipTransform } from "../gzip.js";

export * from "../gzip.js";

installFeature("gzip", { transform: gzipTransform });
