/**
 * The templates feature: `RequestHandler.render`, `renderString`, `getTemplateNamespace`,
 * `createTemplateLoader`, `ui` and UI modules (`{% module %}`) with the assets they add to
 * a page. Importing this module installs it; the full entries do. Re-exports the template
 * API; `UIModule`, `TemplateModule` and the rest of the UI module API come from `cyclone`
 * or `cyclone/tiny`, which export them with or without this feature.
 * @module
 */

import { installFeature } from "../features.js";
import { BUILTIN_UI_MODULES, insertModuleAssets, type TemplateLoader, templateLoaderFactory, type UIMethod, type UIModule, type UIModuleClass } from "../uimodule.js";
import type { RequestHandler } from "../web.js";

export * from "../template/index.js";

// One loader per template directory for the whole process, as Tornado's class-level cache.
const loaders = new Map<string, TemplateLoader>();
// Per request: the UI namespace and the modules the page used (their assets go in the page).
const uiNamespaces = new WeakMap<RequestHandler, Record<string, unknown>>();
const activeModules = new WeakMap<RequestHandler, Map<string, UIModule>>();

function templateLoader(handler: RequestHandler): TemplateLoader {
  const settings = handler.settings;
  if (settings.templateLoader !== undefined) return settings.templateLoader;
  const path = handler.getTemplatePath();
  if (path === undefined) throw new Error("Set the templatePath (Node) or templateLoader (any host) setting to render templates");
  let loader = loaders.get(path);
  if (loader === undefined) {
    loader = handler.createTemplateLoader(path);
    loaders.set(path, loader);
  }
  // With the template cache off (debug), templates are read again on every render.
  if (settings.compiledTemplateCache === false) loader.reset();
  return loader;
}

installFeature("templates", {
  render(handler, name, kwargs) {
    const html = handler.renderString(name, kwargs);
    const active = activeModules.get(handler);
    return active === undefined ? html : insertModuleAssets(handler, html, active.values());
  },

  renderString(handler, name, kwargs) {
    return templateLoader(handler).load(name).generate({ ...handler.getTemplateNamespace(), ...kwargs });
  },

  createTemplateLoader(handler, templatePath) {
    const factory = templateLoaderFactory();
    if (factory === undefined) throw new Error("No template loader for this host: set the templateLoader setting");
    const settings = handler.settings;
    return factory(templatePath, {
      ...(settings["autoescape"] !== undefined ? { autoescape: settings["autoescape"] as string | null } : {}),
      ...(settings["templateWhitespace"] !== undefined ? { whitespace: settings["templateWhitespace"] as string } : {}),
    });
  },

  namespace(handler) {
    const locale = handler.locale;
    return {
      handler,
      request: handler.request,
      currentUser: handler.currentUser,
      locale,
      _: locale.translate.bind(locale),
      pgettext: locale.pgettext.bind(locale),
      staticUrl: (path: string, includeHost?: boolean) => handler.staticUrl(path, includeHost),
      xsrfFormHtml: () => handler.xsrfFormHtml(),
      reverseUrl: (name: string, ...args: unknown[]) => handler.reverseUrl(name, ...args),
      ...handler.ui,
    };
  },

  ui(handler) {
    let ui = uiNamespaces.get(handler);
    if (ui === undefined) {
      ui = {};
      const settings = handler.settings;
      for (const [name, fn] of Object.entries((settings["uiMethods"] as Record<string, UIMethod> | undefined) ?? {})) {
        ui[name] = (...args: never[]) => fn(handler, ...args);
      }
      const modules: Record<string, (...args: unknown[]) => string> = {};
      const classes = { ...BUILTIN_UI_MODULES, ...((settings["uiModules"] as Record<string, UIModuleClass> | undefined) ?? {}) };
      for (const [name, cls] of Object.entries(classes)) {
        modules[name] = (...args: unknown[]) => {
          let active = activeModules.get(handler);
          if (active === undefined) activeModules.set(handler, (active = new Map()));
          let m = active.get(name);
          if (m === undefined) {
            m = new cls(handler);
            active.set(name, m);
          }
          return m.render(...args);
        };
      }
      ui["_tt_modules"] = modules;
      ui["modules"] = modules;
      uiNamespaces.set(handler, ui);
    }
    return ui;
  },
});
