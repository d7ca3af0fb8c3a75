/**
 * Cyclone's template compiler entry: {@link Template} and {@link DictLoader}, plus
 * everything the runtime entry (`./index.js`) exports. Imports acorn and uses
 * `new Function`: for Node, tests and the `cyclone` CLI — never for the Workers bundle.
 * @module
 */

export * from "./index.js";
export { DictLoader, Template } from "./template.js";
export type { TemplateOptions } from "./template.js";
