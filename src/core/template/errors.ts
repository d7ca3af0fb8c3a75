/**
 * The errors of the template system: {@link TemplateError} (any template failure, with the
 * template's name and line), {@link ParseError} (a syntax error found while compiling) and
 * {@link TemplateNotFoundError} (a loader has no template of that name).
 *
 * These live in the runtime half of the template package: the precompiled-template path on
 * Workers raises them too, without loading the compiler.
 * @module
 */

/** Where a {@link TemplateError} happened, for its constructor. */
export interface TemplateErrorOptions {
  /** The template's name (its file name, or `"<string>"`), or `null` when unknown. */
  filename?: string | null;
  /** The 1-based line in that template, or 0 when unknown. */
  lineno?: number;
  /** The include chain that led there, innermost first: `"base.html:1, a.html:3"`. */
  via?: string;
  /** The error raised by the template's code, for a run-time error. */
  cause?: unknown;
}

function locate(reason: string, filename: string | null, lineno: number, via: string): string {
  if (filename === null) return reason;
  return `${reason} at ${filename}:${lineno}${via ? ` (via ${via})` : ""}`;
}

/**
 * Any error raised by compiling or rendering a template. Its message names the template and
 * line (`"ReferenceError: user is not defined at page.html:12 (via base.html:3)"`); the
 * parts are in `reason`, `filename`, `lineno` and `via`. A run-time error keeps the error
 * the template's code raised as `cause`.
 *
 * When a template renders another one (a `{% module Template(...) %}` call) and the inner
 * one fails, the same error travels out and each outer template adds itself to
 * `templateStack` and to the message (`"..., rendered from page.html:4"`).
 *
 * @example
 * try {
 *   loader.load("page.html").generate({ user });
 * } catch (e) {
 *   if (e instanceof TemplateError) console.log(e.filename, e.lineno, e.reason);
 * }
 */
export class TemplateError extends Error {
  override name = "TemplateError";
  /** The problem, without the location. */
  readonly reason: string;
  /** The template's name, or `null` when unknown. */
  readonly filename: string | null;
  /** The 1-based template line, or 0 when unknown. */
  readonly lineno: number;
  /** The include/extends chain inside one compiled template, innermost first; `""` if none. */
  readonly via: string;
  /**
   * Every template location the error passed through, innermost first, each as
   * `"name:line"` (with its `(via ...)` part when there is one).
   */
  readonly templateStack: string[];

  constructor(reason: string, options: TemplateErrorOptions = {}) {
    const filename = options.filename ?? null;
    const lineno = options.lineno ?? 0;
    const via = options.via ?? "";
    super(locate(reason, filename, lineno, via), options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.filename = filename;
    this.lineno = lineno;
    this.via = via;
    this.templateStack = filename === null ? [] : [`${filename}:${lineno}${via ? ` (via ${via})` : ""}`];
  }

  /**
   * Records that the error passed out through another template's `filename:lineno`
   * (used when one template renders another at run time).
   */
  addTemplateFrame(filename: string, lineno: number, via = ""): void {
    const frame = `${filename}:${lineno}${via ? ` (via ${via})` : ""}`;
    this.templateStack.push(frame);
    this.message += `, rendered from ${frame}`;
  }
}

/**
 * A template syntax error, found while compiling. Tornado's `template.ParseError`: the
 * message is `"<problem> at <template>:<line>"`, and `filename`/`lineno` hold the parts.
 *
 * @example
 * new Template("\n\n{{", { name: "foo.html" });
 * // throws ParseError: "Missing end expression }} at foo.html:3"
 */
export class ParseError extends TemplateError {
  override name = "ParseError";
}

/**
 * Raised by a loader asked for a template it does not have (Tornado raises `KeyError` or
 * `IOError` there).
 *
 * @example
 * new DictLoader({}).load("missing.html"); // throws TemplateNotFoundError
 */
export class TemplateNotFoundError extends TemplateError {
  override name = "TemplateNotFoundError";
  /** The resolved name that was asked for. */
  readonly templateName: string;

  constructor(templateName: string, options: TemplateErrorOptions = {}) {
    super(`Template not found: ${templateName}`, options);
    this.templateName = templateName;
  }
}
