/**
 * Cyclone's template runtime — what renders a compiled template, with no compiler and no
 * `eval`, so it runs on Cloudflare Workers: {@link PrecompiledLoader} over a module
 * written by `cyclone templates build`, {@link BaseLoader}, {@link BaseTemplate}, the
 * errors, and the shape of a compiled template.
 *
 * The compiler (`Template`, `DictLoader`) is in `./compiler.js`, which re-exports all of
 * this too; Node's filesystem `Loader` is in `src/node/template.ts`.
 *
 * The language is Tornado's (`{{ }}`, `{% %}`, `{# #}`) with JavaScript expressions; see
 * `docs/templates.md` for the reference.
 * @module
 */

export { ParseError, TemplateError, TemplateNotFoundError } from "./errors.js";
export type { TemplateErrorOptions } from "./errors.js";
export { BaseLoader, DEFAULT_AUTOESCAPE, PrecompiledLoader, normalizePosixPath, resolveTemplateName } from "./loader.js";
export type { LoaderOptions } from "./loader.js";
export { BaseTemplate, DEFAULT_NAMESPACE, PRECOMPILED_FORMAT, createRenderHelpers } from "./runtime.js";
export type {
  BaseTemplateOptions,
  CompiledTemplate,
  PrecompiledModule,
  RenderFunction,
  RenderHelpers,
  TemplateLoaderLike,
  TemplateLocation,
  TemplateNamespace,
} from "./runtime.js";
export { filterWhitespace, isWhitespaceMode } from "./whitespace.js";
export type { WhitespaceMode } from "./whitespace.js";
