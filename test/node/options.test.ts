// tornado.options in Cyclone: definitions, the command line, config files, --help and
// errors, each through the public API of an isolated OptionParser (translated from
// Tornado's options_test.py), plus the global parser in a real child process.
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OptionParser, OptionsError, type TextSink } from "../../src/node/options.js";

const fixtures = fileURLToPath(new URL("../fixtures/options/", import.meta.url));
const THIS_FILE = fileURLToPath(import.meta.url);

type EmailClass = new (value: string) => { value: string };
const { Email } = (await import(pathToFileURL(join(fixtures, "email.mjs")).href)) as { Email: EmailClass };

function sink(): TextSink & { text: string } {
  return {
    text: "",
    write(s: string) {
      this.text += s;
    },
  };
}

/** A parser whose help output (printed on errors) goes to a buffer, not the test's stderr. */
function parser(): OptionParser & { out: ReturnType<typeof sink> } {
  const out = sink();
  const p = new OptionParser({ output: out }) as OptionParser & { out: ReturnType<typeof sink> };
  Object.defineProperty(p, "out", { value: out });
  return p;
}

describe("command line", () => {
  test("--name=value sets a typed value", () => {
    const o = parser();
    o.define("port", { default: 80 });
    o.parseCommandLine(["main.js", "--port=443"]);
    expect(o.port).toBe(443);
  });

  test("args[0] is the program name and is skipped", () => {
    const o = parser();
    o.define("port", { default: 80 });
    expect(o.parseCommandLine(["--port=443"])).toEqual([]);
    expect(o.port).toBe(80);
  });

  test("parsing stops at the first non-option, which is returned with the rest", () => {
    const base = parser();
    base.define("verbose", { default: false });
    const sub = parser();
    sub.define("foo", { type: String });
    const rest = base.parseCommandLine(["main.js", "--verbose", "subcommand", "--foo=bar"]);
    expect(rest).toEqual(["subcommand", "--foo=bar"]);
    expect(base.verbose).toBe(true);
    expect(sub.parseCommandLine(rest)).toEqual([]);
    expect(sub.foo).toBe("bar");
    expect(() => sub.parseCommandLine(["subcommand", "--verbose"])).toThrow(OptionsError);
  });

  test("-- ends the options", () => {
    const o = parser();
    o.define("a", { default: 1 });
    expect(o.parseCommandLine(["main.js", "--a=2", "--", "--a=3", "x"])).toEqual(["--a=3", "x"]);
    expect(o.a).toBe(2);
  });

  test("one dash works as two", () => {
    const o = parser();
    o.define("a", { default: 1 });
    o.parseCommandLine(["main.js", "-a=5"]);
    expect(o.a).toBe(5);
  });

  test("an unknown option prints the help and throws", () => {
    const o = parser();
    expect(() => o.parseCommandLine(["main.js", "--nope=1"])).toThrow(new OptionsError("Unrecognized command line option: 'nope'", { option: "nope" }));
    expect(o.out.text).toContain("Usage:");
  });

  test("a non-bool option without a value is an error", () => {
    const o = parser();
    o.define("port", { default: 80 });
    expect(() => o.parseCommandLine(["main.js", "--port"])).toThrow(new OptionsError("Option 'port' requires a value", { option: "port" }));
  });

  test("a bad number names the option and the text", () => {
    const o = parser();
    o.define("port", { default: 80 });
    o.define("ratio", { type: "float" });
    expect(() => o.parseCommandLine(["main.js", "--port=abc"])).toThrow(
      new OptionsError("Option 'port': invalid literal for int() with base 10: 'abc'", { option: "port" }),
    );
    expect(() => o.parseCommandLine(["main.js", "--port=4.2"])).toThrow(OptionsError);
    expect(() => o.parseCommandLine(["main.js", "--ratio=x"])).toThrow(new OptionsError("Option 'ratio': could not convert string to float: 'x'", { option: "ratio" }));
  });

  test("ints accept Python's int() spellings", () => {
    const o = parser();
    o.define("n", { type: "int" });
    o.parseCommandLine(["main.js", "--n= 1_000 "]);
    expect(o.n).toBe(1000);
    o.parseCommandLine(["main.js", "--n=-7"]);
    expect(o.n).toBe(-7);
  });

  test("bool: alone means true; false, 0 and f (any case) are false, anything else true", () => {
    const o = parser();
    o.define("debug", { default: false });
    const cases: [string, boolean][] = [
      ["--debug", true],
      ["--debug=false", false],
      ["--debug=FALSE", false],
      ["--debug=0", false],
      ["--debug=f", false],
      ["--debug=no", true],
      ["--debug=1", true],
      ["--debug=", true],
    ];
    for (const [arg, want] of cases) {
      o.parseCommandLine(["main.js", arg]);
      expect(o.debug, arg).toBe(want);
    }
  });
});

describe("types", () => {
  function defineAll(): OptionParser {
    const o = parser();
    o.define("str", { type: String });
    o.define("basestring", { type: "str" });
    o.define("int", { type: "int" });
    o.define("float", { type: Number });
    o.define("datetime", { type: Date });
    o.define("timedelta", { type: "timedelta" });
    o.define("email", { type: Email });
    o.define("list-of-int", { type: "int", multiple: true });
    o.define("list-of-str", { type: String, multiple: true });
    return o;
  }

  function check(o: OptionParser): void {
    expect(o.str).toBe("asdf");
    expect(o.int).toBe(42);
    expect(o.float).toBe(1.5);
    expect(o.datetime).toEqual(new Date(2013, 3, 28, 5, 16));
    expect(o.timedelta).toBe(45);
    expect(o.email).toBeInstanceOf(Email);
    expect((o.email as InstanceType<EmailClass>).value).toBe("tornado@web.com");
    expect(o.list_of_int).toEqual([1, 2, 3]);
    expect(o.listOfStr).toEqual(["a", "b", "c"]);
  }

  test("each type parses from the command line", () => {
    const o = defineAll();
    o.parseCommandLine([
      "main.js",
      "--str=asdf",
      "--basestring=qwer",
      "--int=42",
      "--float=1.5",
      "--datetime=2013-04-28 05:16",
      "--timedelta=45s",
      "--email=tornado@web.com",
      "--list-of-int=1,2,3",
      "--list-of-str=a,b,c",
    ]);
    check(o);
    expect(o.basestring).toBe("qwer");
  });

  test("each type loads from a JSON config file, as values or as strings", async () => {
    for (const file of ["types.json", "types_str.json"]) {
      const o = defineAll();
      await o.parseConfigFile(join(fixtures, file));
      check(o);
    }
  });

  test("each type loads from a JavaScript config module", async () => {
    const o = defineAll();
    o.define("my_path");
    await o.parseConfigFile(join(fixtures, "types.mjs"));
    check(o);
    expect(o.my_path).toBe(join(fixtures, "types.mjs"));
  });

  test("a bad value for a user class is an OptionsError carrying the class's error", () => {
    const o = defineAll();
    let caught: unknown;
    try {
      o.parseCommandLine(["main.js", "--email=nobody"]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OptionsError);
    expect((caught as Error).cause).toBeInstanceOf(TypeError);
  });

  test("multiple strings are comma-separated", () => {
    const o = parser();
    o.define("foo", { type: String, multiple: true });
    o.parseCommandLine(["main.js", "--foo=a,b,c"]);
    expect(o.foo).toEqual(["a", "b", "c"]);
  });

  test("multiple ints take inclusive lo:hi ranges", () => {
    const o = parser();
    o.define("foo", { type: "int", multiple: true });
    o.parseCommandLine(["main.js", "--foo=1,3,5:7"]);
    expect(o.foo).toEqual([1, 3, 5, 6, 7]);
  });

  test("a multiple option defaults to an empty list", () => {
    const o = parser();
    o.define("foo", { multiple: true });
    expect(o.foo).toEqual([]);
  });

  test("timedelta: Tornado's units, spaces between terms, seconds by default", () => {
    const o = parser();
    o.define("t", { type: "timedelta" });
    const cases: [string, number][] = [
      ["45s", 45],
      ["1h 30m", 5400],
      ["1.5d", 129600],
      ["45", 45],
      [" 2 w ", 1209600],
      ["100ms", 0.1],
      ["1e3us", 0.001],
      ["1 hours 2 minutes", 3720],
      ["-1m", -60],
      ["", 0],
    ];
    for (const [text, seconds] of cases) {
      o.parseCommandLine(["main.js", `--t=${text}`]);
      expect(o.t, text).toBeCloseTo(seconds, 9);
    }
    // As Tornado: a unit is one word ("h30m" is not a unit) and units are case-sensitive.
    for (const bad of ["1h30m", "1H", "abc", "1h x"]) {
      expect(() => o.parseCommandLine(["main.js", `--t=${bad}`]), bad).toThrow(OptionsError);
    }
  });

  test("datetime: Tornado's ten formats, in local time", () => {
    const o = parser();
    o.define("d", { type: "datetime" });
    const cases: [string, Date][] = [
      ["Sun Apr 28 05:16:00 2013", new Date(2013, 3, 28, 5, 16)],
      ["sun apr 28 05:16:00 2013", new Date(2013, 3, 28, 5, 16)],
      ["2013-04-28 05:16:07", new Date(2013, 3, 28, 5, 16, 7)],
      ["2013-04-28 5:6", new Date(2013, 3, 28, 5, 6)],
      ["2013-04-28T05:16", new Date(2013, 3, 28, 5, 16)],
      ["20130428 05:16:07", new Date(2013, 3, 28, 5, 16, 7)],
      ["20130428 05:16", new Date(2013, 3, 28, 5, 16)],
      ["2013-04-28", new Date(2013, 3, 28)],
      ["2013-4-8", new Date(2013, 3, 8)],
      ["20130428", new Date(2013, 3, 28)],
      ["05:16:07", new Date(1900, 0, 1, 5, 16, 7)],
      ["5:16", new Date(1900, 0, 1, 5, 16)],
    ];
    for (const [text, want] of cases) {
      o.parseCommandLine(["main.js", `--d=${text}`]);
      expect(o.d, text).toEqual(want);
    }
    expect(() => o.parseCommandLine(["main.js", "--d=2013-02-30"])).toThrow(new OptionsError("Unrecognized date/time format: '2013-02-30'", { option: "d" }));
  });

  test("the type is inferred from the default: an integer default makes an int option", () => {
    const o = parser();
    o.define("port", { default: 80 });
    o.define("ratio", { default: 0.5 });
    o.parseCommandLine(["main.js", "--ratio=2.5"]);
    expect(o.ratio).toBe(2.5);
    expect(o.option("port")!.typeName).toBe("int");
    expect(o.option("ratio")!.typeName).toBe("float");
  });
});

describe("config files", () => {
  test("JSON keys set the options of the same name; unknown keys are ignored", async () => {
    const o = parser();
    o.define("port", { default: 80 });
    o.define("username", { default: "foo" });
    await o.parseConfigFile(join(fixtures, "options_test.json"));
    expect(o.port).toBe(443);
    expect(o.username).toBe("李康");
  });

  test("a JSON file is applied before parseConfigFile returns", () => {
    const o = parser();
    o.define("port", { default: 80 });
    void o.parseConfigFile(join(fixtures, "options_test.json"));
    expect(o.port).toBe(443);
  });

  test("a module's default-exported object sets options (camelCase keys too)", async () => {
    const o = parser();
    o.define("port", { default: 80 });
    o.define("log_file_prefix", { type: String });
    await o.parseConfigFile(join(fixtures, "default-export.mjs"));
    expect(o.port).toBe(443);
    expect(o.log_file_prefix).toBe("/tmp/from-default.log");
  });

  test("with underscores, whatever the definition's spelling", async () => {
    for (const name of ["foo-bar", "foo_bar"]) {
      const o = parser();
      o.define(name);
      await o.parseConfigFile(join(fixtures, "options_test.json"));
      expect(o.foo_bar).toBe("a");
    }
  });

  test("a value of the wrong type is refused", async () => {
    const o = parser();
    o.define("port", { type: "int" });
    o.define("hosts", { type: String, multiple: true });
    // The JSON holds username "李康": a string for an int option is parsed, and fails.
    o.define("username", { type: "int" });
    await expect(o.parseConfigFile(join(fixtures, "options_test.json"))).rejects.toThrow(
      new OptionsError("Option 'username': invalid literal for int() with base 10: '李康'", { option: "username" }),
    );
  });

  test("a multiple option takes a list or a comma-separated string, nothing else", async () => {
    const o = parser();
    o.define("port", { type: "int", multiple: true });
    await expect(o.parseConfigFile(join(fixtures, "options_test.json"))).rejects.toThrow(
      /Option 'port' is required to be a list of int or a comma-separated string/,
    );
  });

  test("a file that is not a JSON object is refused", async () => {
    const o = parser();
    await expect(o.parseConfigFile(join(fixtures, "not-an-object.json"))).rejects.toThrow(OptionsError);
    await expect(o.parseConfigFile(join(fixtures, "email.mjs"))).resolves.toBeUndefined();
    await expect(o.parseConfigFile(join(fixtures, "global-options.mjs.missing"))).rejects.toThrow(/ENOENT/);
  });
});

describe("parse callbacks", () => {
  test("run after a final parse only, every time", async () => {
    const o = parser();
    let calls = 0;
    o.addParseCallback(() => calls++);
    o.parseCommandLine(["main.js"], { final: false });
    expect(calls).toBe(0);
    o.parseCommandLine(["main.js"]);
    expect(calls).toBe(1);
    o.parseCommandLine(["main.js"]);
    expect(calls).toBe(2);
    await o.parseConfigFile(join(fixtures, "options_test.json"), { final: false });
    expect(calls).toBe(2);
    await o.parseConfigFile(join(fixtures, "options_test.json"));
    expect(calls).toBe(3);
  });

  test("an option's callback sees each new value, set or parsed", () => {
    const seen: number[] = [];
    const o = parser();
    o.define("foo", { default: 1, type: "int", callback: (v: number) => seen.push(v) });
    o.foo = 2;
    o.parseCommandLine(["main.js", "--foo=3"]);
    expect(seen).toEqual([2, 3]);
  });

  test("a --config option can load a file in the middle of the command line", () => {
    const o = parser();
    o.define("port", { default: 80 });
    o.define("config", { type: String, callback: (path: string) => void o.parseConfigFile(path, { final: false }) });
    o.parseCommandLine(["main.js", "--port=1", `--config=${join(fixtures, "options_test.json")}`]);
    expect(o.port).toBe(443);
    o.parseCommandLine(["main.js", `--config=${join(fixtures, "options_test.json")}`, "--port=2"]);
    expect(o.port).toBe(2);
  });
});

describe("access", () => {
  function sample(): OptionParser {
    const o = parser();
    o.define("a", { default: 1 });
    o.define("b", { default: 2 });
    return o;
  }

  test("assignment sets a value of the right type, without parsing strings", () => {
    const o = parser();
    o.define("foo", { default: 1, type: "int" });
    o.foo = 2;
    expect(o.foo).toBe(2);
    expect(() => (o.foo = "2")).toThrow(new OptionsError("Option 'foo' is required to be a int (string given)", { option: "foo" }));
    expect(() => (o.foo = 2.5)).toThrow(OptionsError);
    o.foo = null;
    expect(o.foo).toBeNull();
  });

  test("assigning an unknown option throws; reading one gives undefined", () => {
    const o = sample();
    expect(() => (o.nope = 1)).toThrow(new OptionsError("Unrecognized option 'nope'", { option: "nope" }));
    expect(o.nope).toBeUndefined();
    expect(() => o.get("nope")).toThrow(OptionsError);
    expect("a" in o).toBe(true);
    expect("nope" in o).toBe(false);
  });

  test("iteration gives the names; every parser has help", () => {
    expect(new Set(sample())).toEqual(new Set(["a", "b", "help"]));
  });

  test("index access and assignment", () => {
    const o = sample();
    expect(o["a"]).toBe(1);
    o["a"] = 5;
    expect(o.get("a")).toBe(5);
  });

  test("items and asDict", () => {
    const o = sample();
    expect(o.items().sort()).toEqual([
      ["a", 1],
      ["b", 2],
      ["help", null],
    ]);
    expect(o.asDict()).toEqual({ a: 1, b: 2, help: null });
  });

  test("groups and groupDict: the group, else the defining file", () => {
    const o = parser();
    o.define("a", { default: 1 });
    o.define("b", { group: "b_group", default: 2 });
    expect(o.groups()).toEqual(new Set(["b_group", "", THIS_FILE]));
    expect(o.groupDict("b_group")).toEqual({ b: 2 });
    expect(o.groupDict("nonexistent")).toEqual({});
  });

  test("define returns the option, whose value() reads it", () => {
    const o = parser();
    const port = o.define("port", { default: 80 });
    o.parseCommandLine(["main.js", "--port=81"]);
    const n: number = port.value();
    expect(n).toBe(81);
  });

  test("redefining a name, in any spelling, is an error", () => {
    for (const [a, b] of [
      ["foo-bar", "foo-bar"],
      ["foo_bar", "foo_bar"],
      ["foo-bar", "foo_bar"],
      ["foo_bar", "fooBar"],
    ] as const) {
      const o = parser();
      o.define(a);
      expect(() => o.define(b)).toThrow(/Option 'foo-bar' already defined in /);
    }
  });

  test("dashes, underscores and camelCase are interchangeable", () => {
    for (const defined of ["foo-bar", "foo_bar", "fooBar"]) {
      for (const flag of ["--foo-bar=a", "--foo_bar=a", "--fooBar=a"]) {
        const o = parser();
        o.define(defined);
        o.parseCommandLine(["main.js", flag]);
        expect(o.foo_bar).toBe("a");
        expect(o.fooBar).toBe("a");
        expect(o["foo-bar"]).toBe("a");
      }
    }
  });

  test("introspection keeps the names as defined; --help shows dashes", () => {
    const o = parser();
    o.define("with-dash", { group: "g" });
    o.define("with_underscore", { group: "g" });
    const all = ["help", "with-dash", "with_underscore"];
    expect([...o].sort()).toEqual(all);
    expect(Object.keys(o.asDict()).sort()).toEqual(all);
    expect(Object.keys(o.groupDict("g")).sort()).toEqual(["with-dash", "with_underscore"]);
    const out = sink();
    o.printHelp(out);
    expect(out.text).toContain("--with-dash");
    expect(out.text).toContain("--with-underscore");
  });
});

describe("--help text", () => {
  test("Tornado's layout: usage, ungrouped options, then each group sorted, help wrapped at 79 columns", () => {
    const o = parser();
    o.define("port", { default: 80, help: "port to listen on" });
    o.define("a-very-long-option-name-that-goes-on", {
      default: "x",
      help: "a long help text that needs wrapping because it is much longer than forty four characters in total length",
    });
    o.define("debug", { default: false, group: "app", help: "debug mode" });
    o.define("names", { multiple: true, type: String, metavar: "A,B" });
    o.define("timeout", { type: "timedelta", default: 30, group: "app" });
    o.define("ports", { type: "int", multiple: true, default: [1, 2], group: "app" });
    const out = sink();
    o.printHelp(out);
    expect(out.text).toBe(
      [
        `Usage: ${process.argv[1]} [OPTIONS]`,
        "",
        "Options:",
        "",
        "  --help                           show this help information",
        "",
        `${THIS_FILE} options:`,
        "",
        "  --a-very-long-option-name-that-goes-on ",
        "                                   a long help text that needs wrapping because",
        "                                   it is much longer than forty four characters",
        "                                   in total length (default x)",
        "  --names=A,B                      ",
        "  --port                           port to listen on (default 80)",
        "",
        "app options:",
        "",
        "  --debug                          debug mode (default false)",
        "  --ports                           (default 1,2)",
        "  --timeout                         (default 30s)",
        "",
        "",
      ].join("\n"),
    );
  });
});

describe("the global options, in a real process", () => {
  let outDir: string;
  beforeAll(async () => {
    const { compileSources } = (await import(pathToFileURL(join(fixtures, "compile.mjs")).href)) as {
      compileSources: (entries: string[]) => Promise<string>;
    };
    outDir = await compileSources(["node/options.ts"]);
  }, 60_000);
  afterAll(() => rm(outDir, { recursive: true, force: true }));

  function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(fixtures, "global-options.mjs"), ...args],
        { env: { ...process.env, CYCLONE_OPTIONS_MODULE: pathToFileURL(join(outDir, "node/options.js")).href }, timeout: 15_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  test("parseCommandLine() reads process.argv; the logging options are predefined", async () => {
    const r = await run(["--port=9000", "--debug", "rest", "--x"]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ port: 9000, debug: true, logging: "info", rest: ["rest", "--x"] });
  });

  test("--help prints every option to stderr and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^Usage: .*global-options\.mjs \[OPTIONS\]\n\nOptions:\n\n {2}--help {27}show this help information\n/);
    expect(r.stderr).toContain(`\n${join(outDir, "node/log.js")} options:\n`);
    expect(r.stderr).toContain("  --logging=debug|info|warning|error|none \n");
    expect(r.stderr).toContain("  --log-file-max-size              max size of log files before rollover\n");
    expect(r.stderr).toContain(`\n${join(fixtures, "global-options.mjs")} options:\n\n  --port                           port to listen on (default 8888)\n`);
    expect(r.stderr).toContain("\napplication options:\n\n  --debug                          debug mode (default false)\n");
  });

  test("an unknown option fails the process with the help and the error", async () => {
    const r = await run(["--prot=1"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Usage:");
    expect(r.stderr).toContain("OptionsError: Unrecognized command line option: 'prot'");
  });
});
