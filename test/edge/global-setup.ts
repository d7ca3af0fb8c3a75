/**
 * Runs in Node before the Workers tests: precompiles the behaviour templates to an ES
 * module, as `cyclone templates build` does in a wrangler build, so the Worker renders
 * them with the PrecompiledLoader and no eval.
 */
import { join } from "node:path";
import { writeTemplateModule } from "../../src/cli/templates.js";

export default function setup(): void {
  const root = join(import.meta.dirname, "..", "fixtures", "behaviour-templates");
  // templates.d.ts beside it is committed, so the type check needs no build first.
  writeTemplateModule(root, join(import.meta.dirname, "generated", "templates.js"));
}
