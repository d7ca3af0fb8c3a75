/**
 * The fresh projects the packaging test installs the packed tarball into, as a new user
 * would make them: a Node project (package.json with `"type": "module"`, a tsconfig with
 * `moduleResolution: nodenext`, Tornado's Hello world and a template read from disk) and a
 * wrangler project (its own wrangler.toml, no alias, templates precompiled by the package's
 * own `cyclone` CLI).
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

export const run = promisify(execFile);

/** Writes `files` (relative path → text) under `root`, making folders as needed. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/** `npm install` of `packages` (a tarball path, names) into `root`, preferring the local cache. */
export async function npmInstall(root: string, packages: readonly string[]): Promise<void> {
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...packages], {
    cwd: root,
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

const packageJson = (name: string) => JSON.stringify({ name, version: "1.0.0", private: true, type: "module" }, null, 2);

/** A template both projects render: through the filesystem Loader on Node, precompiled on Workers. */
const HELLO_TEMPLATE = "Hello, {{ name }}! Your name has {{ name.length }} letters.\n";

/** The Node project's files, before the tarball is installed. */
export const NODE_PROJECT: Record<string, string> = {
  "package.json": packageJson("cyclone-packaging-node"),
  "tsconfig.json": JSON.stringify(
    {
      compilerOptions: {
        target: "es2022",
        lib: ["es2023"],
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        // The package's own declarations are checked too, not only the user's code.
        skipLibCheck: false,
        types: ["node"],
      },
      include: ["check.ts"],
    },
    null,
    2,
  ),
  // What a TypeScript user writes: each entry point, its classes and their types. The two
  // expected-error lines fail the check if the types were lost (an `any` accepts anything).
  "check.ts": `import { Application, HTTPError, RequestHandler, url, type ApplicationSettings } from "cyclone";
import { HTTPServer, IOLoop, define, options } from "cyclone/node";
import { CycloneDurableObject, PrecompiledLoader, toWorker } from "cyclone/edge";
import { Template } from "cyclone/template";

class MainHandler extends RequestHandler {
  override get(): void {
    this.write("Hello, world");
  }
}

const settings: ApplicationSettings = { debug: false };
const app: Application = new Application([url("/", MainHandler)], settings);
const server: HTTPServer = new HTTPServer(app);
const loop: IOLoop = IOLoop.current();
define("port", { default: 8888, type: "int", help: "port to listen on" });
const port: unknown = options["port"];
const worker = toWorker(app);
const error: HTTPError = new HTTPError(404);
const page: string = new Template("{{ 1 + 1 }}").generate({});
// @ts-expect-error: a status code is a number
new HTTPError("404");
// @ts-expect-error: a route is a pattern and a handler class, not a function
new Application([url("/", () => "hi")]);
void [server, loop, port, worker, error, page, CycloneDurableObject, PrecompiledLoader];
`,
  // Tornado's Hello world, line for line, plus a template read from disk.
  "server.js": `import { fileURLToPath } from "node:url";
import { Application, RequestHandler, url } from "cyclone";
import { IOLoop } from "cyclone/node";

class MainHandler extends RequestHandler {
  get() {
    this.write("Hello, world");
  }
}

class GreetHandler extends RequestHandler {
  get(name) {
    return this.render("hello.html", { name });
  }
}

const app = new Application([url("/", MainHandler), url("/greet/([a-z]+)", GreetHandler)], {
  templatePath: fileURLToPath(new URL("./templates", import.meta.url)),
});
app.listen(Number(process.argv[2]), "127.0.0.1");
IOLoop.current().start();
`,
  "templates/hello.html": HELLO_TEMPLATE,
};

/** The wrangler project's files, before the tarball is installed and its templates built. */
export const WORKER_PROJECT: Record<string, string> = {
  "package.json": packageJson("cyclone-packaging-worker"),
  "wrangler.toml": `name = "cyclone-packaging-worker"
main = "src/worker.ts"
compatibility_date = "2026-03-29"
`,
  "tsconfig.json": JSON.stringify(
    {
      compilerOptions: {
        target: "es2022",
        // Cyclone's locks are Disposable: the runtime has Symbol.dispose, this lib types it.
        lib: ["es2023", "esnext.disposable"],
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        // The Workers runtime's types and no Node types: the edge entry must not need them.
        types: ["@cloudflare/workers-types"],
      },
      include: ["src"],
    },
    null,
    2,
  ),
  "src/worker.ts": `import { Application, RequestHandler, url } from "cyclone";
import { PrecompiledLoader, toWorker } from "cyclone/edge";
import templates from "./templates.js";

class MainHandler extends RequestHandler {
  override get(): void {
    this.write("Hello, world");
  }
}

class GreetHandler extends RequestHandler {
  override get(name: string) {
    return this.render("hello.html", { name });
  }
}

export default toWorker(
  new Application([url("/", MainHandler), url("/greet/([a-z]+)", GreetHandler)], {
    templateLoader: new PrecompiledLoader(templates),
  }),
);
`,
  "wrangler.tiny.toml": `name = "cyclone-packaging-tiny"
main = "src/tiny.ts"
compatibility_date = "2026-03-29"
minify = true
`,
  "src/tiny.ts": `import { Application, RequestHandler, toWorker } from "cyclone/edge/tiny";
import "cyclone/features/signing";

class MainHandler extends RequestHandler {
  override get(): void {
    const user = this.getSignedCookie("user");
    if (user === null) this.setSignedCookie("user", "alice");
    this.write(user === null ? "Hello, world" : \`Hello again, \${user}\`);
  }
}

export default toWorker(new Application([["/", MainHandler]], { cookieSecret: "packaging-secret" }));
`,
  "templates/hello.html": HELLO_TEMPLATE,
};
