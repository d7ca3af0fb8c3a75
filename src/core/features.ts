/**
 * Optional features of `RequestHandler` and `Application`, installed by importing them.
 *
 * The handler keeps Tornado's whole API as methods, but class methods cannot be
 * tree-shaken: whatever a method reaches ends up in every bundle. So the heavy features
 * (signed cookies and XSRF, locales, templates and UI modules, multipart bodies, static
 * files, gzip) live in modules of their own that fill a slot here when imported. The full
 * entries (`cyclone`, `cyclone/node`, `cyclone/edge`) import all of them, so nothing
 * changes for their users; the tiny entries (`cyclone/tiny`, `cyclone/edge/tiny`) import
 * none, and a Worker adds what it uses (`import "cyclone/features/signing"`). A method
 * whose feature is missing throws {@link FeatureNotInstalledError} naming the import.
 * @module
 */

import type { ApplicationSettings, OutputTransformFactory } from "./application.js";
import type { ArgumentMap, HTTPFile, HTTPHeaders } from "./httputil.js";
import type { Locale } from "./locale.js";
import type { RuleSpec } from "./routing.js";
import type { StaticSettings } from "./static.js";
import type { TemplateLoader } from "./uimodule.js";
import type { GetSignedCookieOptions, RequestHandler } from "./web.js";

/** Signed values, signed cookies and XSRF tokens (`cyclone/features/signing`). */
export interface SigningFeature {
  createSignedValue(handler: RequestHandler, name: string, value: string | Uint8Array, version?: 1 | 2): string;
  getSignedCookie(handler: RequestHandler, name: string, value: string | undefined, options: GetSignedCookieOptions): string | null;
  getSignedCookieKeyVersion(handler: RequestHandler, value: string | undefined): number | null;
  xsrfToken(handler: RequestHandler): string;
  checkXsrfCookie(handler: RequestHandler): void;
  xsrfFormHtml(handler: RequestHandler): string;
}

/** Locales from `Accept-Language` (`cyclone/features/locale`). */
export interface LocaleFeature {
  browserLocale(acceptLanguage: string | undefined, defaultCode: string): Locale;
}

/** Templates and UI modules (`cyclone/features/templates`). */
export interface TemplatesFeature {
  /** The rendered page with the assets of the UI modules it used. */
  render(handler: RequestHandler, name: string, kwargs: Record<string, unknown>): string;
  renderString(handler: RequestHandler, name: string, kwargs: Record<string, unknown>): string;
  createTemplateLoader(handler: RequestHandler, templatePath: string): TemplateLoader;
  namespace(handler: RequestHandler): Record<string, unknown>;
  ui(handler: RequestHandler): Record<string, unknown>;
}

/** `multipart/form-data` request bodies (`cyclone/features/multipart`). */
export interface MultipartFeature {
  parse(contentType: string, body: Uint8Array, args: ArgumentMap, files: Record<string, HTTPFile[]>): void;
}

/** The `staticPath` setting's routes and versioned URLs (`cyclone/features/static`). */
export interface StaticFeature {
  rules(settings: ApplicationSettings | StaticSettings): RuleSpec[];
  url(settings: ApplicationSettings | StaticSettings, path: string, includeVersion: boolean): string;
  /** Forgets cached content hashes (debug mode: pages see fresh `?v=` versions). */
  resetHashes(settings: ApplicationSettings): void;
}

/** The `compressResponse` setting (`cyclone/features/gzip`). */
export interface GzipFeature {
  transform: OutputTransformFactory;
}

/** Every optional feature, by name. */
export interface Features {
  signing: SigningFeature;
  locale: LocaleFeature;
  templates: TemplatesFeature;
  multipart: MultipartFeature;
  static: StaticFeature;
  gzip: GzipFeature;
}

/** The name of an optional feature: also the last part of its import path. */
export type FeatureName = keyof Features;

/**
 * A handler or application used a feature whose module was not imported (only possible
 * with the tiny entries). The message names the import that installs it.
 */
export class FeatureNotInstalledError extends Error {
  override name = "FeatureNotInstalledError";
  /** The missing feature. */
  readonly feature: FeatureName;
  constructor(feature: FeatureName, use: string) {
    super(`${use} needs the '${feature}' feature: add import "cyclone/features/${feature}" (the full entries cyclone, cyclone/node and cyclone/edge install every feature)`);
    this.feature = feature;
  }
}

const installed: Partial<Features> = {};

/**
 * Installs a feature's implementation. Each feature module calls it when imported; an
 * application does not call it itself.
 */
export function installFeature<K extends FeatureName>(name: K, implementation: Features[K]): void {
  installed[name] = implementation;
}

/** Whether a feature is installed. */
export function hasFeature(name: FeatureName): boolean {
  return installed[name] !== undefined;
}

/**
 * The installed implementation of `name`.
 * @throws {FeatureNotInstalledError} naming `use` (what needed it) and the import to add.
 */
export function feature<K extends FeatureName>(name: K, use: string): Features[K] {
  const f = installed[name];
  if (f === undefined) throw new FeatureNotInstalledError(name, use);
  return f;
}
