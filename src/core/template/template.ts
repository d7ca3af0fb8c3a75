/**
 * The template compiler's public classes: {@link Template} (compile source text once into a
 * JavaScript function, render it many times) and {@link DictLoader} (templates from an
 * object). Tornado's `template.Template` and `template.DictLoader`.
 *
 * Compiler only: the compiled function is created with `new Function`, which Node allows
 * and Cloudflare Workers forbid. Workers use precompiled modules and `PrecompiledLoader`.
 * @module
 */

import { generateCode } from "./codegen.js";
import type { FileLoader } from "./codegen.js";
import { ParseError, TemplateError, TemplateNotFoundError } from "./errors.js";
import { BaseLoader, DEFAULT_AUTOESCAPE } from "./loader.js";
import type { LoaderOptions } from "./loader.js";
import { parseTemplate } from "./parser.js";
import type { ParsedFile } from "./parser.js";
import { BaseTemplate } from "./runtime.js";
import type { RenderFunction, TemplateLocation } from "./runtime.js";
import { filterWhitespace } from "./whitespace.js";
import type { WhitespaceMode } from "./whitespace.js";

/** Options of {@link Template} (Tornado's `Template` arguments). */
export interface TemplateOptions {
  /** The template's name, used in error messages and for relative includes. Default `"<string>"`. */
  name?: string;
  /** The loader that resolves `{% extends %}` and `{% include %}` (and adds its namespace). */
  loader?: BaseLoader | null;
  /** Deprecated (as in Tornado): `true` means `whitespace: "single"`, `false` means `"all"`. */
  compressWhitespace?: boolean;
  /**
   * The name of a namespace function applied to every `{{ }}` output, or `null` for none.
   * Default: the loader's, else `"xhtmlEscape"`.
   */
  autoescape?: string | null;
  /** The whitespace mode; default: the loader's, else `single` for `.html`/`.js`, else `all`. */
  whitespace?: WhitespaceMode | null;
}

// The parse tree of each compiled Template, for templates that extend or include it.
const FILES = new WeakMap<BaseTemplate, ParsedFile>();

function decode(source: string | Uint8Array, name: string): string {
  if (typeof source === "string") return source;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(source);
  } catch (e) {
    throw new TemplateError("template is not valid UTF-8", { filename: name, cause: e });
  }
}

function instantiate(code: string, name: string): RenderFunction {
  try {
    return new Function(`return ${code}`)() as RenderFunction;
  } catch (e) {
    // acorn accepted it, so the engine lacks some newer syntax the template uses.
    const message = e instanceof Error ? e.message : String(e);
    throw new ParseError(`JavaScript error in the compiled template: ${message}`, { filename: name, cause: e });
  }
}

interface Built { file: ParsedFile; code: string; render: RenderFunction; locations: TemplateLocation[] }

function build(source: string | Uint8Array, options: TemplateOptions): Built {
  const name = options.name ?? "<string>";
  const loader = options.loader ?? null;
  let whitespace: string | null = options.whitespace ?? null;
  if (options.compressWhitespace !== undefined) {
    if (whitespace !== null) throw new TemplateError("cannot set both whitespace and compressWhitespace");
    whitespace = options.compressWhitespace ? "single" : "all";
  }
  if (whitespace === null) {
    whitespace = loader?.whitespace ?? (name.endsWith(".html") || name.endsWith(".js") ? "single" : "all");
  }
  filterWhitespace(whitespace, "");
  const autoescape = options.autoescape !== undefined ? options.autoescape : loader ? loader.autoescape : DEFAULT_AUTOESCAPE;
  const file = parseTemplate(name, decode(source, name), whitespace as WhitespaceMode, autoescape);
  const loadFile: FileLoader = loader
    ? (child, parent) => {
        const template = loader.load(child, parent);
        const parsed = FILES.get(template);
        if (!parsed) throw new ParseError(`${template.name} is precompiled and cannot be extended or included by a compiled template`, { filename: name });
        return parsed;
      }
    : null;
  const generated = generateCode(file, loadFile);
  return { file, code: generated.code, locations: generated.locations, render: instantiate(generated.code, name) };
}

/**
 * A compiled template, as Tornado's `template.Template`: the source is parsed and compiled
 * to one JavaScript function when constructed; {@link BaseTemplate.generate} runs it.
 * Syntax errors raise {@link ParseError} naming the template and line.
 *
 * @example
 * const t = new Template("<html>{{ myvalue }}</html>");
 * t.generate({ myvalue: "XXX" }); // "<html>XXX</html>"
 */
export class Template extends BaseTemplate {
  /** The generated JavaScript source (a function expression), as Tornado's `Template.code`. */
  readonly code: string;
  /** The autoescape function name in force (after any `{% autoescape %}`), or `null`. */
  readonly autoescape: string | null;

  constructor(source: string | Uint8Array, options: TemplateOptions = {}) {
    const built = build(source, options);
    super({ name: built.file.name, render: built.render, locations: built.locations }, { loader: options.loader ?? null });
    FILES.set(this, built.file);
    this.code = built.code;
    this.autoescape = built.file.autoescape;
  }
}

/**
 * A loader over an object of template sources, as Tornado's `DictLoader`. Names resolve
 * relative to the including template (`{% include "../b/3.html" %}` from `a/2.html`).
 *
 * @example
 * const loader = new DictLoader({
 *   "base.html": "<title>{% block title %}default{% end %}</title>",
 *   "page.html": '{% extends "base.html" %}{% block title %}Page{% end %}',
 * });
 * loader.load("page.html").generate(); // "<title>Page</title>"
 */
export class DictLoader extends BaseLoader<Template> {
  readonly #dict: Readonly<Record<string, string>>;

  constructor(dict: Readonly<Record<string, string>>, options: LoaderOptions = {}) {
    super(options);
    this.#dict = dict;
  }

  protected createTemplate(name: string): Template {
    if (!Object.hasOwn(this.#dict, name)) throw new TemplateNotFoundError(name);
    return new Template(this.#dict[name]!, { name, loader: this });
  }
}
