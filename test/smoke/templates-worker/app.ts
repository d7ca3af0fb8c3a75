/**
 * The application of the template smoke test, shared by both hosts: the test serves it from
 * a Node HTTPServer with `templatePath` (templates compiled at run time by the filesystem
 * Loader) and worker.ts serves it from the wrangler-built Worker with a PrecompiledLoader.
 * The same handlers, UI modules and data on both sides, so the pages must match byte for
 * byte.
 * @module
 */

import { Application, RequestHandler, TemplateError, UIModule, xhtmlEscape } from "../../../src/core/index.js";
import type { ApplicationSettings } from "../../../src/core/index.js";

/** The data every page renders: hostile strings, non-ASCII text, numbers, nested objects. */
export const PAGE_DATA = {
  year: 2025,
  section: "Smoke & <Mirrors>",
  title: "<Hello & 'welcome'>",
  description: 'Say "hi" — héllo, 世界 🌀',
  siteName: "Cyclone",
  current: "/page",
  links: [
    { href: "/page", text: "Page" },
    { href: "/search?a=1&b=2", text: "Search <all>" },
    { href: "javascript:alert(1)", text: "\"><script>alert(1)</script>" },
  ],
  rows: [
    { name: "alpha<", amount: 50, note: "a & b" },
    { name: "béta", amount: 75.25, note: null },
    { name: "'gamma'", amount: 0.5 },
  ],
  tags: { news: 3, empty: 0, "<tag>": 1 },
  config: { debug: true, end: "</script><!--" },
  name: "Ann <ann@example.com>",
  order: 42,
};

/** A UI module that asks for every kind of asset `render()` inserts into the page. */
export class Highlight extends UIModule {
  override render(q: unknown): string {
    return `<mark class="hl">${xhtmlEscape(String(q))}</mark>`;
  }
  override embeddedCss(): string {
    return "mark.hl { background: yellow; }";
  }
  override embeddedJavascript(): string {
    return "document.querySelectorAll('mark.hl').length;";
  }
  override javascriptFiles(): string[] {
    return ["https://cdn.example.com/hl.js"];
  }
  override cssFiles(): string {
    return "/css/hl.css";
  }
  override htmlBody(): string {
    return '<div id="hl-footer"></div>';
  }
}

class PageHandler extends RequestHandler {
  override async get(): Promise<void> {
    await this.render("page.html", { ...PAGE_DATA, q: this.getArgument("q", "") });
  }
}

class EmailHandler extends RequestHandler {
  override get(): void {
    this.setHeader("Content-Type", "text/plain; charset=UTF-8");
    this.write(this.renderString("email.txt", PAGE_DATA));
  }
}

/** Shows the error a failing template raises: its message names the template and line. */
class BrokenHandler extends RequestHandler {
  override get(): void {
    try {
      this.write(this.renderString("broken.html", PAGE_DATA));
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      this.setStatus(500);
      this.write(`${e.name}: ${e.message}`);
    }
  }
}

/**
 * The smoke-test application; `settings` says where templates come from (`templatePath`
 * on Node, `templateLoader` on Workers).
 *
 * @example
 * makeTemplateApp({ templateLoader: new PrecompiledLoader(precompiled) });
 */
export function makeTemplateApp(settings: ApplicationSettings): Application {
  return new Application(
    [
      ["/page", PageHandler, {}, "page"],
      ["/email", EmailHandler],
      ["/broken", BrokenHandler],
    ],
    {
      uiModules: { Highlight },
      uiMethods: { shout: (_handler: RequestHandler, text: string) => String(text).toUpperCase() },
      ...settings,
    },
  );
}
