// Types of the module `cyclone assets manifest` writes beside this file.
import type { AssetManifest } from "cyclone/edge";
declare const manifest: AssetManifest;
export default manifest;
