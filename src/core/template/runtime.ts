/**
 * What a compiled template needs to run: the shape of a compiled template
 * ({@link CompiledTemplate}), the helpers its code calls, the default namespace, and
 * {@link BaseTemplate}, which renders one.
 *
 * This file never imports the compiler or a JavaScript parser, and never evaluates code:
 * on Cloudflare Workers (where `eval` and `new Function` are forbidden) templates arrive as
 * functions inside a module written by `cyclone templates build`, and this is all that runs.
 * @module
 */

import { jsonEncode, linkify, squeeze, urlEscape, xhtmlEscape } from "../escape.js";
import { TemplateError } from "./errors.js";

/** The names a template reads: values, functions, `_tt_modules`, escape functions. */
export type TemplateNamespace = Record<string, unknown>;

/**
 * One template position a compiled template can fail at: the template's name, the 1-based
 * line, and the include/extends chain that inlined it (`""`, or `"base.html:1, a.html:3"`).
 */
export type TemplateLocation = readonly [filename: string, lineno: number, via: string];

/**
 * The helpers a compiled template's code calls. Generated code reads them once per render
 * (`_tt_rt.s`, `_tt_rt.g`...); users never call them.
 */
export interface RenderHelpers {
  /** Converts an expression's value to a string: `String(value)`, UTF-8 for bytes. */
  readonly s: (value: unknown) => string;
  /** The marker for a name found neither in the namespace nor in `globalThis`. */
  readonly U: object;
  /** Raises the "name is not defined" error for a marked name that was used. */
  readonly nf: (name: string) => never;
  /** Looks `name` up in the namespace, then in `globalThis`; returns `U` if absent. */
  readonly g: (namespace: TemplateNamespace, name: string) => unknown;
  /** Turns an error raised at location index `location` into the error to throw. */
  readonly fail: (error: unknown, location: number) => unknown;
}

/** A compiled template's code: the namespace and the helpers in, the output out. */
export type RenderFunction = (namespace: TemplateNamespace, helpers: RenderHelpers) => string;

/**
 * A compiled template: what the compiler produces and what a precompiled module holds for
 * each template. Includes and inherited blocks are already inlined into `render`.
 */
export interface CompiledTemplate {
  /** The template's name (its path relative to the template root). */
  readonly name: string;
  /** The compiled code. */
  readonly render: RenderFunction;
  /** The template positions `render` reports errors at, indexed by its location numbers. */
  readonly locations: readonly TemplateLocation[];
}

/** The format number of precompiled modules that this runtime reads. */
export const PRECOMPILED_FORMAT = 1;

/**
 * The default export (or the module namespace) of a module written by
 * `cyclone templates build`.
 */
export interface PrecompiledModule {
  /** {@link PRECOMPILED_FORMAT} of the compiler that wrote the module. */
  readonly format: number;
  /** The compiled templates by name. */
  readonly templates: Readonly<Record<string, CompiledTemplate>>;
  /** The autoescape function name the templates were built with (`null`: none). */
  readonly autoescape?: string | null;
  /** The whitespace mode the build forced, or `null` when chosen per file name. */
  readonly whitespace?: "all" | "single" | "oneline" | null;
}

/**
 * The names every template can read without being given them, as Tornado's
 * `Template.generate` provides `escape`, `xhtml_escape`, `url_escape`, `json_encode`,
 * `squeeze` and `linkify`. A loader's namespace and the arguments of `generate` override
 * them.
 */
export const DEFAULT_NAMESPACE: Readonly<TemplateNamespace> = Object.freeze({
  escape: xhtmlEscape,
  xhtmlEscape,
  urlEscape,
  jsonEncode,
  squeeze,
  linkify,
});

const UNKNOWN: object = Object.freeze({ toString: () => "<unknown name>" });

const decoder = new TextDecoder();

function toText(value: unknown): string {
  if (typeof value === "string") return value;
  // Bytes are text, as Tornado outputs a bytes value as is rather than its repr.
  if (value instanceof Uint8Array) return decoder.decode(value);
  return String(value);
}

function notFound(name: string): never {
  throw new ReferenceError(`${name} is not defined`);
}

function lookup(namespace: TemplateNamespace, name: string): unknown {
  // The namespace has no prototype (see BaseTemplate.generate), so `in` sees only its keys.
  if (name in namespace) return namespace[name];
  if (name in globalThis) return (globalThis as Record<string, unknown>)[name];
  return UNKNOWN;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
  try {
    return String(error);
  } catch {
    return "unprintable error";
  }
}

/** Builds the helpers a compiled template's code calls, reporting errors at `locations`. */
export function createRenderHelpers(name: string, locations: readonly TemplateLocation[]): RenderHelpers {
  return Object.freeze({
    s: toText,
    U: UNKNOWN,
    nf: notFound,
    g: lookup,
    fail(error: unknown, location: number): unknown {
      const [filename, lineno, via] = locations[location] ?? [name, 0, ""];
      if (error instanceof TemplateError) {
        // An error from a template this one rendered: keep it, and say where it came through.
        error.addTemplateFrame(filename, lineno, via);
        return error;
      }
      return new TemplateError(describe(error), { filename, lineno, via, cause: error });
    },
  });
}

/** The loader a template was loaded by, as far as rendering needs it. */
export interface TemplateLoaderLike {
  /** Names added to every template's namespace. */
  readonly namespace: TemplateNamespace;
}

/** Options of {@link BaseTemplate}. */
export interface BaseTemplateOptions {
  /** The loader that loaded the template; its namespace is added to each render's. */
  loader?: TemplateLoaderLike | null;
}

/**
 * A template ready to render: a {@link CompiledTemplate} with Tornado's `generate`.
 * Precompiled templates are instances of this class; the compiler's `Template` extends it.
 *
 * @example
 * const t = new BaseTemplate(precompiled.templates["page.html"]);
 * t.generate({ title: "Hi" });
 */
export class BaseTemplate {
  /** The template's name, used in error messages and to resolve relative includes. */
  readonly name: string;
  /** The loader that loaded it, or `null`. */
  readonly loader: TemplateLoaderLike | null;
  /** The compiled form (what a precompiled module stores). */
  readonly compiled: CompiledTemplate;
  readonly #helpers: RenderHelpers;

  constructor(compiled: CompiledTemplate, options: BaseTemplateOptions = {}) {
    this.name = compiled.name;
    this.compiled = compiled;
    this.loader = options.loader ?? null;
    this.#helpers = createRenderHelpers(compiled.name, compiled.locations);
  }

  /** The loader's namespace (added under the render arguments), or an empty one. */
  get namespace(): TemplateNamespace {
    return this.loader ? this.loader.namespace : {};
  }

  /**
   * Renders the template and returns the output. Names the template reads come from
   * `namespace`, then the loader's namespace, then {@link DEFAULT_NAMESPACE}, then
   * `globalThis`. A failure raises {@link TemplateError} naming the template and line.
   *
   * @example
   * new Template("Hello {{ name }}!").generate({ name: "Ben" }); // "Hello Ben!"
   */
  generate(namespace: TemplateNamespace = {}): string {
    const merged: TemplateNamespace = Object.create(null);
    Object.assign(merged, DEFAULT_NAMESPACE);
    if (this.loader) Object.assign(merged, this.loader.namespace);
    Object.assign(merged, namespace);
    return this.compiled.render(merged, this.#helpers);
  }
}
