/**
 * Static files on Workers: a `StaticFileSource` over the Static Assets binding, so
 * `StaticFileHandler` and `staticUrl` work at the edge exactly as on Node — the same
 * versioned URLs (`?v=` from the SHA-512 recorded at build time by `cyclone assets
 * manifest`), ETags, Last-Modified, ranges and traversal checks.
 *
 * Workers serve a matching asset before the Worker runs unless told otherwise: set
 * `run_worker_first = ["/static/*"]` (your static prefix) in wrangler.toml so requests for
 * static files reach Cyclone and keep its headers and checks.
 * @module
 */

import type { StaticFileSource, StaticFileStat } from "../core/static.js";

/** What `cyclone assets manifest` records for each file. */
export interface AssetManifest {
  readonly format: 1;
  /** By `/`-rooted path within the assets directory. */
  readonly files: Readonly<Record<string, { readonly size: number; readonly mtime: number; readonly hash: string }>>;
}

/** The Static Assets binding (`env.ASSETS`). */
export interface AssetsBinding {
  fetch(request: Request): Promise<Response>;
}

let currentEnv: Record<string, unknown> | undefined;

/** @internal The Workers host records its `env` here so sources can find their bindings. */
export function setWorkerEnv(env: unknown): void {
  if (typeof env === "object" && env !== null) currentEnv = env as Record<string, unknown>;
}

/** Options of {@link AssetsFileSource}. */
export interface AssetsFileSourceOptions {
  /** Name of the Static Assets binding in wrangler.toml (default `ASSETS`). */
  binding?: string;
}

/**
 * Serves static files from the Static Assets binding, described by a build-time manifest.
 * Set `staticPath: "/"` (the assets directory is the root) and this as `staticFileSource`.
 *
 * @example
 * import manifest from "./assets-manifest.gen.js"; // cyclone assets manifest static --out …
 * new Application(rules, { staticPath: "/", staticFileSource: new AssetsFileSource(manifest) });
 */
export class AssetsFileSource implements StaticFileSource {
  readonly #manifest: AssetManifest;
  readonly #binding: string;
  readonly #directories: Set<string>;

  constructor(manifest: AssetManifest, options: AssetsFileSourceOptions = {}) {
    this.#manifest = manifest;
    this.#binding = options.binding ?? "ASSETS";
    this.#directories = new Set(["/"]);
    for (const p of Object.keys(manifest.files)) {
      for (let i = p.indexOf("/", 1); i !== -1; i = p.indexOf("/", i + 1)) this.#directories.add(p.slice(0, i));
    }
  }

  // The manifest lists exactly the files that exist: there are no links to follow out.
  resolve(_root: string, absolutePath: string): string {
    return absolutePath;
  }

  stat(path: string): StaticFileStat | null {
    const f = this.#manifest.files[path];
    if (f !== undefined) return { size: f.size, mtime: new Date(f.mtime), isFile: true, isDirectory: false };
    return this.#directories.has(path.replace(/\/$/, "") || "/") ? { size: 0, mtime: new Date(0), isFile: false, isDirectory: true } : null;
  }

  hash(path: string): string | null {
    return this.#manifest.files[path]?.hash ?? null;
  }

  read(path: string, start = 0, end?: number): ReadableStream<Uint8Array> {
    const binding = currentEnv?.[this.#binding] as AssetsBinding | undefined;
    if (binding === undefined || typeof binding.fetch !== "function") {
      throw new Error(`No Static Assets binding named ${this.#binding} in env: add [assets] binding = "${this.#binding}" to wrangler.toml`);
    }
    const stop = end ?? this.#manifest.files[path]?.size ?? Infinity;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    void (async () => {
      const writer = writable.getWriter();
      try {
        const res = await binding.fetch(new Request(`https://assets.invalid${encodeURI(path)}`));
        if (!res.ok || res.body === null) throw new Error(`asset ${path} answered ${res.status}`);
        const reader = res.body.getReader();
        // Only the requested slice goes on, so ranges work whatever the binding supports.
        let offset = 0;
        while (offset < stop) {
          const { done, value } = await reader.read();
          if (done) break;
          const from = Math.max(0, start - offset);
          const to = Math.min(value.length, stop - offset);
          if (to > from) await writer.write(value.subarray(from, to));
          offset += value.length;
        }
        await reader.cancel().catch(() => {});
        await writer.close();
      } catch (e) {
        await writer.abort(e).catch(() => {});
      }
    })();
    return readable;
  }
}
