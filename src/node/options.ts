/**
 * Command-line and config-file options — Tornado's `tornado.options`.
 *
 * Modules define their options where they use them; `main()` parses the command line or a
 * config file once every such module has been imported:
 *
 * ```ts
 * // db.ts
 * define("mysql_host", { default: "127.0.0.1:3306", help: "Main user DB" });
 * // server.ts
 * define("port", { default: 8080, help: "port to listen on" });
 * parseCommandLine();              // --port=443 --logging=debug
 * app.listen(options.port as number);
 * ```
 *
 * `options` is the global `OptionParser`; the functions of this module call its methods.
 * Create another `OptionParser` for an isolated set (a sub-command, a test). Dashes,
 * underscores and camelCase name the same option: `--log-file-prefix`, `log_file_prefix`
 * in a config file and `options.logFilePrefix` in code. The global parser also holds
 * Tornado's logging options (`--logging`, `--log-file-prefix`, ...); a final parse
 * turns on `enablePrettyLogging` unless `--logging=none`.
 *
 * Config files (Tornado's are Python) are JSON, or JavaScript modules (`.js`, `.mjs`,
 * `.cjs`) whose exports, or whose default-exported object, hold the values.
 * @module
 */

import { readFileSync } from "node:fs";
import { extname, normalize, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { defineLoggingOptions } from "./log.js";
import { Option, OptionsError, type OptionSpec, type OptionTypeValue, pyRepr } from "./options-values.js";

export {
  Option,
  OptionsError,
  type OptionClass,
  type OptionSpec,
  type OptionType,
  type OptionTypeName,
  type OptionTypeValue,
} from "./options-values.js";

type ElementOf<S extends OptionSpec> = S extends { type: infer K }
  ? OptionTypeValue<K>
  : S extends { default: infer D }
    ? D extends string
      ? string
      : D extends number
        ? number
        : D extends boolean
          ? boolean
          : D extends null | undefined
            ? string
            : D
    : string;

/** The value type of an option defined with `S`. */
export type OptionValueOf<S extends OptionSpec> = S extends { multiple: true }
  ? ElementOf<S>[]
  : S extends { default: {} }
    ? ElementOf<S>
    : ElementOf<S> | null;

/** Where output goes (`process.stderr` by default): anything with `write(text)`. */
export interface TextSink {
  write(text: string): unknown;
}

/** Settings of an `OptionParser` itself. */
export interface OptionParserSettings {
  /** Where `printHelp()` writes by default; `process.stderr` when omitted. */
  output?: TextSink;
}

/** Options for `parseCommandLine` and `parseConfigFile`. */
export interface ParseOptions {
  /** Run the parse callbacks afterwards (default true); pass false to all parses but the last. */
  final?: boolean;
}

/** Tornado's name normalization, plus camelCase: `logFilePrefix` is `log-file-prefix`. */
function normalizeName(name: string): string {
  return name.replace(/_/g, "-").replace(/([a-z0-9])([A-Z])/g, (_m, a: string, b: string) => `${a}-${b.toLowerCase()}`);
}

const THIS_FILE = fileURLToPath(import.meta.url);

/** The file that called `define`: the first stack frame outside this module. */
function callerFile(): string {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 20;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = saved;
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):\d+:\d+\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith("file://") ? fileURLToPath(m[1]!) : m[1]!;
    if (file !== THIS_FILE) return file;
  }
  return "<unknown>";
}

/**
 * A set of options with dictionary-like and property access: `parser.port`,
 * `parser["log-file-prefix"]`, `parser.port = 443` (type-checked). Tornado's `OptionParser`.
 * Methods win over options of the same name; read those with `parser.get(name)`. Reading
 * an unknown name gives `undefined`; assigning one throws `OptionsError`.
 *
 * @example
 * const parser = new OptionParser();
 * parser.define("port", { default: 80 });
 * parser.parseCommandLine(["main.js", "--port=443"]);
 * parser.port; // 443
 */
export class OptionParser {
  readonly #options = new Map<string, Option>();
  readonly #parseCallbacks: (() => void)[] = [];
  readonly #output: TextSink | undefined;
  [name: string]: unknown;

  constructor(settings: OptionParserSettings = {}) {
    this.#output = settings.output;
    this.#define("help", { type: Boolean, help: "show this help information", callback: (v: boolean) => this.#helpCallback(v) }, "");
    const bound = new Map<PropertyKey, unknown>();
    // Property access to options (`parser.port`) needs a proxy around the instance.
    return new Proxy(this, {
      get(target, prop) {
        if (typeof prop === "symbol" || prop in target) {
          const v: unknown = Reflect.get(target, prop, target);
          if (typeof v !== "function") return v;
          // Methods run on the target: private fields are not reachable through a proxy.
          let b = bound.get(prop);
          if (!b) bound.set(prop, (b = (v as (...a: unknown[]) => unknown).bind(target)));
          return b;
        }
        // Unknown names read as undefined (not Tornado's AttributeError), so probes such as
        // `then` or `toJSON` by Promise and JSON machinery stay harmless.
        return target.has(prop) ? target.get(prop) : undefined;
      },
      set(target, prop, value) {
        if (typeof prop === "symbol") return false;
        target.set(prop, value);
        return true;
      },
      has(target, prop) {
        return typeof prop === "string" ? target.has(prop) : prop in target;
      },
    });
  }

  /**
   * Whether an option is defined under `name` (any spelling).
   * @example
   * parser.has("log_file_prefix"); // true on the global options
   */
  has(name: string): boolean {
    return this.#options.has(normalizeName(name));
  }

  /**
   * The value of option `name`; throws `OptionsError` for an unknown name.
   * @example
   * parser.get("port"); // 80
   */
  get(name: string): unknown {
    return this.#option(name).value();
  }

  /**
   * Sets option `name` to a value of its type (no string parsing); throws `OptionsError` otherwise.
   * @example
   * parser.set("port", 443);
   */
  set(name: string, value: unknown): void {
    this.#option(name).set(value);
  }

  /**
   * The `Option` object for `name`, or `undefined`.
   * @example
   * parser.option("port")?.typeName; // "int"
   */
  option(name: string): Option | undefined {
    return this.#options.get(normalizeName(name));
  }

  #option(name: string): Option {
    const o = this.#options.get(normalizeName(name));
    if (!o) throw new OptionsError(`Unrecognized option ${pyRepr(normalizeName(name))}`, { option: name });
    return o;
  }

  /** The option names, as defined. */
  *[Symbol.iterator](): IterableIterator<string> {
    for (const o of this.#options.values()) yield o.name;
  }

  /**
   * `[name, value]` pairs for every option.
   * @example
   * for (const [name, value] of parser.items()) console.log(name, value);
   */
  items(): [string, unknown][] {
    return [...this.#options.values()].map((o) => [o.name, o.value()]);
  }

  /**
   * The set of group names (a defining file's path for options without a group).
   * @example
   * parser.groups().has("application");
   */
  groups(): Set<string> {
    return new Set([...this.#options.values()].map((o) => o.groupName));
  }

  /**
   * Names and values of the options in `group` (all options when `group` is empty), e.g.
   * to pass as Application settings.
   *
   * @example
   * define("template_path", { group: "application" });
   * parseCommandLine();
   * new Application(handlers, options.groupDict("application"));
   */
  groupDict(group: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const o of this.#options.values()) if (!group || group === o.groupName) out[o.name] = o.value();
    return out;
  }

  /**
   * Names and values of all options.
   * @example
   * console.log(JSON.stringify(parser.asDict()));
   */
  asDict(): Record<string, unknown> {
    return this.groupDict("");
  }

  /**
   * Defines an option; throws `OptionsError` if the name (any spelling) is taken. The
   * defining file becomes its `--help` group unless `group` is given.
   *
   * @example
   * parser.define("memcache_hosts", { default: ["127.0.0.1:11011"], multiple: true, help: "cache servers" });
   * parser.define("timeout", { type: "timedelta", default: 30, metavar: "DURATION" });
   */
  define<S extends OptionSpec>(name: string, spec?: S): Option<OptionValueOf<S>> {
    return this.#define(name, spec ?? {}, callerFile()) as Option<OptionValueOf<S>>;
  }

  #define(name: string, spec: OptionSpec, fileName: string): Option {
    const normalized = normalizeName(name);
    const existing = this.#options.get(normalized);
    if (existing) throw new OptionsError(`Option ${pyRepr(normalized)} already defined in ${existing.fileName}`, { option: name });
    const option = new Option(name, spec, fileName);
    this.#options.set(normalized, option);
    return option;
  }

  /**
   * Parses `--name=value` options from `args` (default `process.argv.slice(1)`: as
   * Python's `sys.argv`, `args[0]` is the program name and is skipped). Parsing stops at
   * the first argument not starting with `-`, or after `--`; the rest is returned. A bool
   * option alone (`--debug`) means true. An unknown option prints help and throws.
   *
   * @example
   * const rest = parser.parseCommandLine(["main.js", "--port=443", "serve"]); // ["serve"]
   */
  parseCommandLine(args: readonly string[] = process.argv.slice(1), options: ParseOptions = {}): string[] {
    let remaining: string[] = [];
    for (let i = 1; i < args.length; i++) {
      const arg = args[i]!;
      if (!arg.startsWith("-")) {
        remaining = args.slice(i);
        break;
      }
      if (arg === "--") {
        remaining = args.slice(i + 1);
        break;
      }
      const stripped = arg.replace(/^-+/, "");
      const eq = stripped.indexOf("=");
      const name = normalizeName(eq === -1 ? stripped : stripped.slice(0, eq));
      const option = this.#options.get(name);
      if (!option) {
        this.printHelp();
        throw new OptionsError(`Unrecognized command line option: ${pyRepr(name)}`, { option: name });
      }
      let value = eq === -1 ? "" : stripped.slice(eq + 1);
      if (eq === -1) {
        if (option.typeName !== "bool") throw new OptionsError(`Option ${pyRepr(name)} requires a value`, { option: name });
        value = "true";
      }
      option.parse(value);
    }
    if (options.final !== false) this.runParseCallbacks();
    return remaining;
  }

  /**
   * Loads option values from a config file: JSON (`.json` and any extension not below),
   * read synchronously, so the returned promise is already settled; or a JavaScript
   * module (`.js`, `.mjs`, `.cjs`), imported, whose named exports and default-exported
   * object are read. Keys that name no option are ignored. A string sets a non-string
   * option as the command line would; a `multiple` option takes an array or a
   * comma-separated string.
   *
   * @example
   * // server.json: {"port": 80, "mysql_host": "mydb.example.com:3306", "memcache_hosts": "c1:11011,c2:11011"}
   * await parseConfigFile("/etc/server.json");
   */
  parseConfigFile(path: string, options: ParseOptions = {}): Promise<void> {
    const abs = resolve(path);
    const ext = extname(abs).toLowerCase();
    if (ext === ".js" || ext === ".mjs" || ext === ".cjs") {
      return import(pathToFileURL(abs).href).then((mod: Record<string, unknown>) => {
        const config: Record<string, unknown> = {};
        const def = mod["default"];
        if (def !== null && typeof def === "object" && !Array.isArray(def)) Object.assign(config, def);
        for (const [k, v] of Object.entries(mod)) if (k !== "default") config[k] = v;
        this.#applyConfig(config, abs, options);
      });
    }
    try {
      let config: unknown;
      try {
        config = JSON.parse(readFileSync(abs, "utf8"));
      } catch (e) {
        if (e instanceof SyntaxError) throw new OptionsError(`Config file ${abs} is not valid JSON: ${e.message}`, { cause: e });
        throw e;
      }
      if (config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new OptionsError(`Config file ${abs} must hold a JSON object`);
      }
      this.#applyConfig(config as Record<string, unknown>, abs, options);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #applyConfig(config: Record<string, unknown>, file: string, options: ParseOptions): void {
    for (const [key, value] of Object.entries(config)) {
      const option = this.#options.get(normalizeName(key));
      if (!option) continue;
      if (option.multiple && !Array.isArray(value) && typeof value !== "string") {
        throw new OptionsError(
          `Option ${pyRepr(option.name)} is required to be a list of ${option.typeName} or a comma-separated string (in ${file})`,
          { option: option.name },
        );
      }
      option.assign(value);
    }
    if (options.final !== false) this.runParseCallbacks();
  }

  /**
   * Writes the `--help` text: a usage line, then the options grouped by group (the
   * defining file when none), groups sorted, options sorted by name, help wrapped at 79
   * columns. Defaults are shown as the command line would accept them.
   *
   * @example
   * parser.printHelp(process.stdout);
   */
  printHelp(file: TextSink = this.#output ?? process.stderr): void {
    const out: string[] = [`Usage: ${process.argv[1] ?? process.argv0} [OPTIONS]`, "", "Options:", ""];
    const byGroup = new Map<string, Option[]>();
    for (const o of this.#options.values()) {
      const list = byGroup.get(o.groupName);
      if (list) list.push(o);
      else byGroup.set(o.groupName, [o]);
    }
    for (const group of [...byGroup.keys()].sort(codeUnitOrder)) {
      if (group) out.push("", `${isAbsoluteish(group) ? normalize(group) : group} options:`, "");
      const list = byGroup.get(group)!.sort((a, b) => codeUnitOrder(a.name, b.name));
      for (const o of list) {
        let prefix = normalizeName(o.name);
        if (o.metavar) prefix += "=" + o.metavar;
        let description = o.help ?? "";
        const isEmptyList = Array.isArray(o.default) && o.default.length === 0;
        if (o.default !== null && o.default !== undefined && o.default !== "" && !isEmptyList) {
          description += ` (default ${o.formatDefault()})`;
        }
        const lines = wrapText(description, 79 - 35);
        if (prefix.length > 30 || lines.length === 0) lines.unshift("");
        out.push(`  --${prefix.padEnd(30)} ${lines[0]}`);
        for (const line of lines.slice(1)) out.push(`${" ".repeat(34)} ${line}`);
      }
    }
    out.push("");
    file.write(out.join("\n") + "\n");
  }

  #helpCallback(value: boolean): void {
    if (value) {
      this.printHelp();
      process.exit(0);
    }
  }

  /**
   * Adds a function to run after each final parse (Tornado's `add_parse_callback`).
   * @example
   * parser.addParseCallback(() => console.log("configured"));
   */
  addParseCallback(callback: () => void): void {
    this.#parseCallbacks.push(callback);
  }

  /**
   * Runs the parse callbacks, in the order they were added.
   * @example
   * parser.runParseCallbacks(); // after parses made with { final: false }
   */
  runParseCallbacks(): void {
    for (const cb of this.#parseCallbacks) cb();
  }
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isAbsoluteish(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:\\/.test(p);
}

/**
 * Python's `textwrap.wrap(text, width)` for help text: whitespace runs become one break
 * point, leading whitespace of the first line is kept, words longer than a line are cut.
 */
function wrapText(text: string, width: number): string[] {
  const lead = /^\s*/.exec(text)![0].replace(/\s/g, " ");
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const lines: string[] = [];
  let line = lead;
  for (let word of words) {
    const sep = line.trim() === "" ? "" : " ";
    if (line.length + sep.length + word.length <= width) {
      line += sep + word;
      continue;
    }
    if (line.trim() !== "") lines.push(line);
    line = line.trim() === "" ? line : "";
    while (line.length + word.length > width) {
      const room = width - line.length;
      lines.push(line + word.slice(0, room));
      word = word.slice(room);
      line = "";
    }
    line += word;
  }
  if (line.trim() !== "") lines.push(line);
  return lines;
}

/** Options as typed by the application: augment this interface to type `options.port`. */
export interface DefinedOptions {}

/**
 * The global options. Add types with declaration merging:
 * `declare module "cyclone/node" { interface DefinedOptions { port: number } }`.
 *
 * @example
 * define("port", { default: 8888 });
 * parseCommandLine();
 * console.log(options.port);
 */
export const options: OptionParser & DefinedOptions = new OptionParser();

/**
 * Defines an option on the global `options`. See `OptionParser.define`.
 *
 * @example
 * define("port", { default: 8888, help: "port to listen on" });
 */
export function define<S extends OptionSpec>(name: string, spec?: S): Option<OptionValueOf<S>> {
  return options.define(name, spec);
}

/**
 * Parses the global options from the command line. See `OptionParser.parseCommandLine`.
 *
 * @example
 * const rest = parseCommandLine(); // reads process.argv
 */
export function parseCommandLine(args?: readonly string[], opts?: ParseOptions): string[] {
  return options.parseCommandLine(args, opts);
}

/**
 * Parses the global options from a config file. See `OptionParser.parseConfigFile`.
 *
 * @example
 * await parseConfigFile("/etc/myapp.json");
 */
export function parseConfigFile(path: string, opts?: ParseOptions): Promise<void> {
  return options.parseConfigFile(path, opts);
}

/**
 * Prints the global options' help (to stderr by default). See `OptionParser.printHelp`.
 *
 * @example
 * printHelp(process.stdout);
 */
export function printHelp(file?: TextSink): void {
  options.printHelp(file);
}

/**
 * Adds a callback run after each final parse of the global options.
 *
 * @example
 * addParseCallback(() => console.log("listening on", options.port));
 */
export function addParseCallback(callback: () => void): void {
  options.addParseCallback(callback);
}

defineLoggingOptions(options);
