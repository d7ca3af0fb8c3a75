/**
 * The `cyclone` command line: argument parsing and dispatch. Kept apart from the bin script
 * (`cyclone.ts`) so tests can run commands in-process.
 * @module
 */

import { TemplateError, isWhitespaceMode } from "../core/template/compiler.js";
import { writeAssetManifest } from "./assets.js";
import { writeTemplateModule } from "./templates.js";

/** Where a command writes its output. */
export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Raised for a command line that cannot be understood. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const USAGE = `Usage: cyclone <command>

Commands:
  templates build <dir> --out <file> [options]
      Compile every template under <dir> into one ES module for PrecompiledLoader
      (what Cloudflare Workers use: no compiler, no eval).
      --out <file>          the module to write (required), e.g. src/templates.gen.js
      --autoescape <name>   escape function for {{ }} (default xhtmlEscape; None or null: off)
      --whitespace <mode>   all, single or oneline for every template
                            (default: single for .html/.js, all for others)
      --ext <list>          only files with these extensions, comma-separated (.html,.txt)
      --types               also write a .d.ts beside the module
  assets manifest <dir> --out <file>
      Record the size, time and SHA-512 of every file under <dir> in an ES module, for
      AssetsFileSource: static files on Workers with the same versioned URLs as Node.
  help                    show this text
`;

interface BuildArgs { dir: string; out: string; autoescape: string | null | undefined; whitespace: "all" | "single" | "oneline" | null; extensions: string[] | null; types: boolean }

function parseBuildArgs(args: string[]): BuildArgs {
  const positional: string[] = [];
  const parsed: BuildArgs = { dir: "", out: "", autoescape: undefined, whitespace: null, extensions: null, types: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq !== -1 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith("--") && eq !== -1) return arg.slice(eq + 1);
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--out":
      case "-o":
        parsed.out = value();
        break;
      case "--autoescape": {
        const v = value();
        parsed.autoescape = v === "None" || v === "null" || v === "" ? null : v;
        break;
      }
      case "--whitespace": {
        const v = value();
        if (!isWhitespaceMode(v)) throw new UsageError(`--whitespace must be all, single or oneline, not ${v}`);
        parsed.whitespace = v;
        break;
      }
      case "--ext":
        parsed.extensions = value()
          .split(",")
          .map((e) => e.trim())
          .filter(Boolean)
          .map((e) => (e.startsWith(".") ? e : `.${e}`));
        break;
      case "--types":
        parsed.types = true;
        break;
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        positional.push(arg);
    }
  }
  if (positional.length !== 1) throw new UsageError("templates build takes one directory");
  if (!parsed.out) throw new UsageError("templates build needs --out <file>");
  parsed.dir = positional[0]!;
  return parsed;
}

/**
 * Runs the `cyclone` command with `args` (without the program name) and returns the exit
 * status: 0 on success, 1 when the command failed (e.g. a template syntax error), 2 for a
 * usage error.
 *
 * @example
 * const status = await main(["templates", "build", "templates", "--out", "src/templates.gen.js"]);
 */
export async function main(args: readonly string[], output: CliOutput = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }): Promise<number> {
  try {
    const [command, sub, ...rest] = args;
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      output.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "templates" && sub === "build") {
      const a = parseBuildArgs(rest);
      const names = writeTemplateModule(a.dir, a.out, { autoescape: a.autoescape, whitespace: a.whitespace, extensions: a.extensions, types: a.types });
      output.stdout(`cyclone: compiled ${names.length} template(s) from ${a.dir} into ${a.out}\n`);
      return 0;
    }
    if (command === "assets" && sub === "manifest") {
      const outAt = rest.findIndex((a) => a === "--out" || a === "-o" || a.startsWith("--out="));
      const out = outAt === -1 ? "" : rest[outAt]!.startsWith("--out=") ? rest[outAt]!.slice(6) : (rest[outAt + 1] ?? "");
      const dirs = rest.filter((_, i) => outAt === -1 || (i !== outAt && !(i === outAt + 1 && !rest[outAt]!.startsWith("--out="))));
      if (dirs.length !== 1 || dirs[0]!.startsWith("-")) throw new UsageError("assets manifest takes one directory");
      if (!out) throw new UsageError("assets manifest needs --out <file>");
      const n = writeAssetManifest(dirs[0]!, out);
      output.stdout(`cyclone: recorded ${n} asset(s) from ${dirs[0]} in ${out}\n`);
      return 0;
    }
    throw new UsageError(`unknown command: ${args.join(" ")}`);
  } catch (e) {
    if (e instanceof UsageError) {
      output.stderr(`cyclone: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof TemplateError || (e instanceof Error && "code" in e)) {
      output.stderr(`cyclone: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
