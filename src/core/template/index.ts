/**
 * Cyclone's template runtime — what renders a compiled template, with no compiler and no
 * `eval`, so it runs on Cloudflare Workers: {@link PrecompiledLoader} over a module
 * written by `cyclone templates build`, {@link BaseLoader}, {@link BaseTemplate}, the
 * errors, and the shape of a compiled template. The compiler (`Template`, `DictLoader`)
 * is in `./compiler.js`, which re-exports all of this too; Node's filesystem `Loader` is
 * in `src/node/template.ts`.
 *
 * ## The language
 *
 * Tornado's template syntax, with JavaScript expressions and statements:
 *
 * - `{{ expr }}` — evaluates `expr`, converts it with `String()`, passes it through the
 *   autoescape function (default `xhtmlEscape`) and outputs it.
 * - `{# ... #}` — a comment. `{{!`, `{%!` and `{#!` output `{{`, `{%` and `{#` literally.
 * - `{% if cond %}...{% elif cond %}...{% else %}...{% end %}`.
 * - `{% for x in iterable %}...{% end %}` — iterates values (`for...of`); the target may be
 *   a destructuring pattern (`{% for [k, v] in Object.entries(d) %}`) or, as in Python, a
 *   bare list (`{% for k, v in Object.entries(d) %}`). `{% while cond %}...{% end %}`.
 *   Both take `{% break %}`, `{% continue %}` and, as in Python, an `{% else %}` part
 *   that runs when the loop ends without `break`.
 * - `{% try %}...{% except %}...{% else %}...{% finally %}...{% end %}` — `{% except e %}`
 *   binds the error (a name or a destructuring pattern); there is one except part, since
 *   JavaScript has one `catch`. `else` runs when the body raised nothing.
 * - `{% set expr %}` — runs an assignment (or any expression): `{% set total += row.n %}`.
 *   Names a template assigns (with `set`, as a `for` target, or in any assignment) are
 *   variables of the template, hoisted as Python makes them locals: visible after the
 *   block they are set in, `undefined` before, and shadowing namespace names of the same
 *   name throughout the template. Included templates and blocks share them.
 * - `{% apply fn %}...{% end %}` — passes the block's output to `fn`. It is a nested
 *   function, as in Tornado: names it sets are its own, and `break` cannot cross it.
 * - `{% autoescape fn %}` — the escape function for the whole file (the last directive
 *   wins); `None` or `null` turns escaping off. `{% raw expr %}` outputs unescaped.
 * - `{% whitespace all|single|oneline %}` — the whitespace mode for the rest of the file
 *   (default: `single` for `.html` and `.js` files, `all` otherwise; text containing
 *   `<pre>` is kept as is).
 * - `{% extends "base.html" %}` and `{% block name %}...{% end %}` — inheritance, through
 *   any number of levels; `{% include "part.html" %}` — inlines a template that shares the
 *   includer's variables. Names are relative to the including template.
 * - `{% module Name(args) %}` — outputs `_tt_modules.Name(args)` unescaped; `_tt_modules`
 *   comes from the namespace (a handler provides its UI modules there).
 * - `{% comment ... %}` — removed. Python's `{% import %}`/`{% from %}` are not supported:
 *   pass functions and objects in the namespace instead.
 *
 * A template reads the names it does not declare from the namespace (the `generate`
 * arguments, then the loader's namespace, then `escape`/`xhtmlEscape`/`urlEscape`/
 * `jsonEncode`/`squeeze`/`linkify`), then from `globalThis` (`Math`, `JSON`, `Object`...).
 * Using a name found nowhere raises a {@link TemplateError} ("ReferenceError: user is not
 * defined at page.html:12") when it is evaluated; `typeof name` is `"undefined"` instead.
 * Any error raised while rendering is re-thrown as a `TemplateError` naming the template
 * and line (and the include chain), with the original error as its `cause`. Names starting
 * with `_tt_` are reserved.
 *
 * @example
 * import precompiled from "./templates.gen.js"; // cyclone templates build templates --out ...
 * const loader = new PrecompiledLoader(precompiled);
 * const html = loader.load("page.html").generate({ title: "Home", rows });
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
