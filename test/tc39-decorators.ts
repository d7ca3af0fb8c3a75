/**
 * A Vite plugin for the test runs: Vite 8's transformer (oxc) lowers only legacy
 * decorators, and Node 20 cannot run TC39-standard ones. esbuild lowers them, so files
 * that use decorators go through it first. `tsc` and wrangler (esbuild) need nothing.
 */
import { transform } from "esbuild";
import type { Plugin } from "vite";

export function tc39Decorators(): Plugin {
  return {
    name: "cyclone:tc39-decorators",
    enforce: "pre",
    async transform(code, id) {
      if (!id.endsWith(".ts") || !/^\s*@[A-Za-z_$]/m.test(code)) return null;
      const r = await transform(code, {
        loader: "ts",
        target: "es2022",
        sourcemap: true,
        sourcefile: id,
        tsconfigRaw: { compilerOptions: { experimentalDecorators: false, useDefineForClassFields: true, verbatimModuleSyntax: true } },
      });
      return { code: r.code, map: r.map };
    },
  };
}
