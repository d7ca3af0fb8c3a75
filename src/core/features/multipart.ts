/**
 * The multipart feature: `multipart/form-data` request bodies (fields into the body
 * arguments, uploads into `request.files`). Form-urlencoded bodies need no feature.
 * Importing this module installs it; the full entries do. Re-exports the multipart API.
 * @module
 */

import { installFeature } from "../features.js";
import { parseMultipartBody } from "../multipart.js";

export * from "../multipart.js";

installFeature("multipart", { parse: (contentType, body, args, files) => parseMultipartBody(contentType, body, args, files) });
