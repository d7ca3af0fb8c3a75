/**
 * Template loaders that need no compiler: {@link BaseLoader} (name resolution and the
 * cache, shared by every loader) and {@link PrecompiledLoader}, which serves the templates
 * of a module written by `cyclone templates build` — the loader Workers use.
 * @module
 */

import { ParseError, TemplateError, TemplateNotFoundError } from "./errors.js";
import { BaseTemplate, PRECOMPILED_FORMAT } from "./runtime.js";
import type { PrecompiledModule, TemplateNamespace } from "./runtime.js";
import { filterWhitespace } from "./whitespace.js";
import type { WhitespaceMode } from "./whitespace.js";

/** The autoescape function name templates use unless told otherwise. */
export const DEFAULT_AUTOESCAPE = "xhtmlEscape";

/** Options shared by every loader (Tornado's `BaseLoader` arguments). */
export interface LoaderOptions {
  /**
   * The name of a namespace function applied to every `{{ }}` output, or `null` for no
   * escaping. Default `"xhtmlEscape"`.
   */
  autoescape?: string | null;
  /** Names added to the namespace of every template this loader loads. */
  namespace?: TemplateNamespace;
  /**
   * The whitespace mode for templates that set none; default: `single` for `.html` and
   * `.js` files, `all` for others.
   */
  whitespace?: WhitespaceMode | null;
}

/** Python's `posixpath.normpath`. */
export function normalizePosixPath(path: string): string {
  if (path === "") return ".";
  let slashes = 0;
  if (path.startsWith("/")) slashes = path.startsWith("//") && !path.startsWith("///") ? 2 : 1;
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== ".." || (slashes === 0 && out.length === 0) || out[out.length - 1] === "..") out.push(part);
    else if (out.length > 0) out.pop();
  }
  const joined = "/".repeat(slashes) + out.join("/");
  return joined || ".";
}

/**
 * Resolves a template name written inside `parentPath` the way Tornado's `DictLoader`
 * does: relative to the parent's directory, unless either is absolute (starts with `/`)
 * or the parent is a pseudo-name such as `"<string>"`.
 *
 * @example
 * resolveTemplateName("../b/3.html", "a/2.html"); // "b/3.html"
 */
export function resolveTemplateName(name: string, parentPath?: string | null): string {
  if (!parentPath || parentPath.startsWith("<") || parentPath.startsWith("/") || name.startsWith("/")) return name;
  // posixpath.dirname, then posixpath.join.
  let dir = parentPath.slice(0, parentPath.lastIndexOf("/") + 1);
  if (dir !== "" && !/^\/+$/.test(dir)) dir = dir.replace(/\/+$/, "");
  const joined = dir === "" || dir.endsWith("/") ? dir + name : `${dir}/${name}`;
  return normalizePosixPath(joined);
}

/**
 * The base of all template loaders, as Tornado's `BaseLoader`: it resolves names relative
 * to the including template, caches each template after its first load, and carries the
 * `autoescape`, `namespace` and `whitespace` defaults for the templates it creates.
 *
 * Subclasses implement {@link BaseLoader.createTemplate} and may override
 * {@link BaseLoader.resolvePath}.
 *
 * @example
 * class MemoryLoader extends BaseLoader<BaseTemplate> {
 *   protected createTemplate(name: string): BaseTemplate {
 *     return new BaseTemplate(compiledByName[name]!, { loader: this });
 *   }
 * }
 */
export abstract class BaseLoader<T extends BaseTemplate = BaseTemplate> {
  /** The autoescape function name for the templates this loader compiles, or `null`. */
  readonly autoescape: string | null;
  /** Names added to every template's namespace. */
  readonly namespace: TemplateNamespace;
  /** The default whitespace mode, or `null` to choose by file name. */
  readonly whitespace: WhitespaceMode | null;
  #templates = new Map<string, T>();
  readonly #loading = new Set<string>();

  constructor(options: LoaderOptions = {}) {
    this.autoescape = options.autoescape === undefined ? DEFAULT_AUTOESCAPE : options.autoescape;
    this.namespace = options.namespace ?? {};
    this.whitespace = options.whitespace ?? null;
    if (this.whitespace !== null) filterWhitespace(this.whitespace, "");
  }

  /**
   * Forgets every compiled template, so the next {@link BaseLoader.load} reads and compiles
   * again (used when templates change during development).
   *
   * @example
   * loader.reset();
   */
  reset(): void {
    this.#templates = new Map();
  }

  /**
   * Converts a possibly relative name, written inside the template `parentPath`, to the
   * name the loader stores it under.
   *
   * @example
   * loader.resolvePath("footer.html", "blog/post.html"); // "blog/footer.html"
   */
  resolvePath(name: string, parentPath?: string | null): string {
    return resolveTemplateName(name, parentPath);
  }

  /**
   * Returns the template `name` (resolved against `parentPath`), creating and caching it
   * on first use.
   *
   * @example
   * loader.load("page.html").generate({ title: "Home" });
   */
  load(name: string, parentPath?: string | null): T {
    const resolved = this.resolvePath(name, parentPath);
    const cached = this.#templates.get(resolved);
    if (cached !== undefined) return cached;
    if (this.#loading.has(resolved)) {
      throw new ParseError(`${resolved} extends or includes itself`, { filename: parentPath ?? resolved });
    }
    this.#loading.add(resolved);
    try {
      const template = this.createTemplate(resolved);
      this.#templates.set(resolved, template);
      return template;
    } finally {
      this.#loading.delete(resolved);
    }
  }

  /** Creates the template stored under the resolved `name`. */
  protected abstract createTemplate(name: string): T;
}

/**
 * Serves the templates of a module written by `cyclone templates build`, with no compiler
 * and no `eval`: the loader for Cloudflare Workers (Node may use it too).
 *
 * Autoescaping and whitespace were applied when the module was built; the module records
 * them, and this loader reports them as its own.
 *
 * @example
 * import precompiled from "./templates.gen.js";
 * const loader = new PrecompiledLoader(precompiled, { namespace: { siteName: "Cyclone" } });
 * loader.load("index.html").generate({ items });
 */
export class PrecompiledLoader extends BaseLoader<BaseTemplate> {
  readonly #module: PrecompiledModule;

  constructor(module: PrecompiledModule, options: { namespace?: TemplateNamespace } = {}) {
    if (module.format !== PRECOMPILED_FORMAT) {
      throw new TemplateError(
        `precompiled templates have format ${String(module.format)}, this runtime reads format ${PRECOMPILED_FORMAT}: rebuild them with \`cyclone templates build\``,
      );
    }
    super({ autoescape: module.autoescape, whitespace: module.whitespace ?? null, namespace: options.namespace ?? {} });
    this.#module = module;
  }

  /** The names of the templates in the module, sorted. */
  get names(): string[] {
    return Object.keys(this.#module.templates).sort();
  }

  protected createTemplate(name: string): BaseTemplate {
    const templates = this.#module.templates;
    if (!Object.hasOwn(templates, name)) throw new TemplateNotFoundError(name);
    return new BaseTemplate(templates[name]!, { loader: this });
  }
}
