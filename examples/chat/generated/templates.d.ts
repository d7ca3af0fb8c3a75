// Types of the module `cyclone templates build` writes beside this file.
import type { PrecompiledModule } from "cyclone";
declare const precompiled: PrecompiledModule;
export default precompiled;
