/**
 * Node's filesystem template loader — Tornado's `template.Loader`: templates are files
 * under one root directory, compiled on first use and cached until `reset()`.
 * @module
 */

import { readFileSync } from "node:fs";
import * as path from "node:path";
import { BaseLoader, Template, TemplateNotFoundError } from "../core/template/compiler.js";
import type { LoaderOptions } from "../core/template/compiler.js";
import * as autoreload from "./autoreload.js";

/**
 * Loads templates from a root directory, as Tornado's `template.Loader`. Names are paths
 * relative to the root (`"blog/post.html"`); inside a template, names resolve relative to
 * its directory. Each template is read and compiled once, then cached; `reset()` drops the
 * cache (Tornado's applications do so on every render when `compiled_template_cache` is
 * off, as in debug mode).
 *
 * @example
 * const loader = new Loader("templates", { namespace: { siteName: "Cyclone" } });
 * loader.load("index.html").generate({ items: ["a", "b"] });
 */
export class Loader extends BaseLoader<Template> {
  /** The absolute root directory. */
  readonly root: string;

  constructor(rootDirectory: string, options: LoaderOptions = {}) {
    super(options);
    this.root = path.resolve(rootDirectory);
  }

  /**
   * Resolves `name` relative to the directory of `parentPath` when both are relative and
   * the result stays under the root (otherwise `name` is kept), as Tornado does.
   */
  override resolvePath(name: string, parentPath?: string | null): string {
    if (parentPath && !parentPath.startsWith("<") && !parentPath.startsWith("/") && !name.startsWith("/")) {
      const fileDir = path.dirname(path.resolve(this.root, parentPath));
      const relative = path.resolve(fileDir, name);
      if (relative.startsWith(this.root)) return relative.slice(this.root.length + 1);
    }
    return name;
  }

  protected createTemplate(name: string): Template {
    const file = path.isAbsolute(name) ? name : path.join(this.root, name);
    let data: Uint8Array;
    try {
      data = readFileSync(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") throw new TemplateNotFoundError(name, { cause: e });
      throw e;
    }
    // Autoreload (when started) restarts the process when a loaded template changes.
    autoreload.watch(file);
    return new Template(data, { name, loader: this });
  }
}
