/**
 * UI modules and page rendering — Tornado's `UIModule`, `TemplateModule`, and the part of
 * `RequestHandler.render` that inserts the JavaScript, CSS and head/body fragments the
 * page's modules asked for.
 * @module
 */

import { linkify, xhtmlEscape } from "./escape.js";
import type { BaseLoader } from "./template/index.js";
import type { RequestHandler } from "./web.js";

/** A template loader as handlers use it: load a template by name, render it. */
export type TemplateLoader = Pick<BaseLoader, "load" | "reset">;

/**
 * A reusable piece of a page, used in templates as `{% module Name(args) %}`. Tornado's
 * `UIModule`. Override `render`; the other hooks add assets to the page that uses it,
 * once per module class however many times it renders.
 *
 * @example
 * class Entry extends UIModule {
 *   override render(entry: Entry) { return this.renderString("module-entry.html", { entry }); }
 *   override embeddedCss() { return ".entry { margin-bottom: 1em; }"; }
 * }
 * new Application(rules, { uiModules: { Entry } });
 */
export class UIModule {
  readonly handler: RequestHandler;
  constructor(handler: RequestHandler) {
    this.handler = handler;
  }
  get request(): RequestHandler["request"] {
    return this.handler.request;
  }
  get currentUser(): unknown {
    return this.handler.currentUser;
  }
  get locale(): RequestHandler["locale"] {
    return this.handler.locale;
  }
  /** The output of the module. */
  render(..._args: unknown[]): string {
    throw new Error(`${this.constructor.name}.render() is not implemented`);
  }
  /** JavaScript to put in a `<script>` at the end of the body. */
  embeddedJavascript(): string | null {
    return null;
  }
  /** Script files (absolute or relative to `staticPath`) to link at the end of the body. */
  javascriptFiles(): string | string[] | null {
    return null;
  }
  /** CSS to put in a `<style>` in the head. */
  embeddedCss(): string | null {
    return null;
  }
  /** Stylesheet files (absolute or relative to `staticPath`) to link in the head. */
  cssFiles(): string | string[] | null {
    return null;
  }
  /** HTML to put at the end of the `<head>`. */
  htmlHead(): string | null {
    return null;
  }
  /** HTML to put at the end of the `<body>`. */
  htmlBody(): string | null {
    return null;
  }
  /** Renders a template with the handler's namespace plus `kwargs`. */
  renderString(path: string, kwargs: Record<string, unknown> = {}): string {
    return this.handler.renderString(path, kwargs);
  }
}

/** A UI module class, as the `uiModules` setting lists them. */
export type UIModuleClass = new (handler: RequestHandler) => UIModule;

/** A UI method: called from templates with the handler as its first argument. */
export type UIMethod = (handler: RequestHandler, ...args: never[]) => unknown;

/** The resources a template rendered by {@link TemplateModule} declared with `setResources`. */
export interface TemplateResources {
  embeddedJavascript?: string;
  javascriptFiles?: string | string[];
  embeddedCss?: string;
  cssFiles?: string | string[];
  htmlHead?: string;
  htmlBody?: string;
}

/**
 * `{% module Template("path", ...kwargs) %}`: renders another template inline. That
 * template may call `setResources({ embeddedCss, javascriptFiles, … })` to add assets to
 * the page, as Tornado's `set_resources`.
 */
export class TemplateModule extends UIModule {
  #resources: TemplateResources[] = [];
  override render(path: unknown, kwargs: unknown = {}): string {
    const resources: TemplateResources[] = [];
    const html = this.renderString(String(path), {
      ...(kwargs as Record<string, unknown>),
      setResources: (r: TemplateResources) => {
        resources.push(r);
        return "";
      },
    });
    // Each distinct template's resources count once, however often it renders.
    for (const r of resources) {
      if (!this.#resources.some((x) => JSON.stringify(x) === JSON.stringify(r))) this.#resources.push(r);
    }
    return html;
  }
  #collect(key: keyof TemplateResources): string[] {
    return this.#resources.flatMap((r) => {
      const v = r[key];
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    });
  }
  override embeddedJavascript(): string | null {
    return this.#collect("embeddedJavascript").join("\n") || null;
  }
  override javascriptFiles(): string[] | null {
    const f = this.#collect("javascriptFiles");
    return f.length ? f : null;
  }
  override embeddedCss(): string | null {
    return this.#collect("embeddedCss").join("\n") || null;
  }
  override cssFiles(): string[] | null {
    const f = this.#collect("cssFiles");
    return f.length ? f : null;
  }
  override htmlHead(): string | null {
    return this.#collect("htmlHead").join("") || null;
  }
  override htmlBody(): string | null {
    return this.#collect("htmlBody").join("") || null;
  }
}

/** `{% module linkify(text) %}`, as Tornado's built-in. */
class LinkifyModule extends UIModule {
  override render(text: unknown, options: unknown = {}): string {
    return linkify(String(text), options as Parameters<typeof linkify>[1]);
  }
}

/** `{% module xsrfFormHtml() %}`, as Tornado's built-in. */
class XsrfFormHtmlModule extends UIModule {
  override render(): string {
    return this.handler.xsrfFormHtml();
  }
}

/** The modules every application has, as Tornado's. */
export const BUILTIN_UI_MODULES: Readonly<Record<string, UIModuleClass>> = {
  linkify: LinkifyModule,
  xsrfFormHtml: XsrfFormHtmlModule,
  Template: TemplateModule,
};

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || path.startsWith("http:") || path.startsWith("https:");
}

function uniquePaths(handler: RequestHandler, files: string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const p = isAbsolute(f) ? f : handler.staticUrl(f);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

function insertBefore(html: string, marker: string, text: string, last: boolean): string {
  const i = last ? html.lastIndexOf(marker) : html.indexOf(marker);
  if (i === -1) return html;
  return html.slice(0, i) + text + "\n" + html.slice(i);
}

/**
 * Inserts the assets of the modules a page used, as Tornado's `render`: linked and
 * embedded JavaScript before the last `</body>`, CSS and head fragments before `</head>`,
 * body fragments before `</body>`.
 */
export function insertModuleAssets(handler: RequestHandler, html: string, modules: Iterable<UIModule>): string {
  const jsEmbed: string[] = [];
  const jsFiles: string[] = [];
  const cssEmbed: string[] = [];
  const cssFiles: string[] = [];
  const heads: string[] = [];
  const bodies: string[] = [];
  const add = (list: string[], v: string | string[] | null) => {
    if (v === null || v === "") return;
    if (Array.isArray(v)) list.push(...v);
    else list.push(v);
  };
  for (const m of modules) {
    add(jsEmbed, m.embeddedJavascript());
    add(jsFiles, m.javascriptFiles());
    add(cssEmbed, m.embeddedCss());
    add(cssFiles, m.cssFiles());
    add(heads, m.htmlHead());
    add(bodies, m.htmlBody());
  }
  if (jsFiles.length) {
    const tags = uniquePaths(handler, jsFiles).map((p) => `<script src="${xhtmlEscape(p)}" type="text/javascript"></script>`);
    html = insertBefore(html, "</body>", tags.join(""), true);
  }
  if (jsEmbed.length) {
    html = insertBefore(html, "</body>", `<script type="text/javascript">\n//<![CDATA[\n${jsEmbed.join("\n")}\n//]]>\n</script>`, true);
  }
  if (cssFiles.length) {
    const tags = uniquePaths(handler, cssFiles).map((p) => `<link href="${xhtmlEscape(p)}" type="text/css" rel="stylesheet"/>`);
    html = insertBefore(html, "</head>", tags.join(""), false);
  }
  if (cssEmbed.length) html = insertBefore(html, "</head>", `<style type="text/css">\n${cssEmbed.join("\n")}\n</style>`, false);
  if (heads.length) html = insertBefore(html, "</head>", heads.join(""), false);
  if (bodies.length) html = insertBefore(html, "</body>", bodies.join(""), true);
  return html;
}

type LoaderFactory = (path: string, options: { autoescape?: string | null; whitespace?: string }) => TemplateLoader;
let loaderFactory: LoaderFactory | undefined;

/**
 * Installs how `templatePath` becomes a loader. The Node host installs its filesystem
 * `Loader`; on Workers, set the `templateLoader` setting to a `PrecompiledLoader`.
 */
export function registerTemplateLoaderFactory(factory: LoaderFactory): void {
  loaderFactory = factory;
}

/** @internal The installed factory, if any. */
export function templateLoaderFactory(): LoaderFactory | undefined {
  return loaderFactory;
}
