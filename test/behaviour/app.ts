/**
 * The application the behaviour suite runs against, on every host. It imports only the
 * core, so the same module serves the Node server and the Worker.
 */
import {
  Application,
  ErrorHandler,
  Finish,
  HTTPError,
  RedirectHandler,
  RequestHandler,
  streamRequestBody,
  url,
} from "../../src/core/index.js";
import { makeMountApp } from "./mount-app.js";
import { makeStatefulApp } from "./stateful-app.js";
import { makeLifecycleApp } from "./sse-app.js";
import { makeWebSocketApp } from "./ws-app.js";
import { makeGzipApp, makeTemplateApp, makeWebApp, type TemplateSettings } from "./web-app.js";

class HelloHandler extends RequestHandler {
  override get() {
    this.write("Hello, world");
  }
}

class EchoArgsHandler extends RequestHandler {
  override get() {
    this.write({
      a: this.getArgument("a", null),
      all: this.getArguments("a"),
      q: this.getQueryArgument("q", "none"),
      raw: this.getArgument("raw", null, false),
    });
  }
  override post() {
    this.write({
      body: this.getBodyArgument("b", null),
      query: this.getQueryArgument("b", null),
      both: this.getArguments("b"),
    });
  }
}

class RequiredArgHandler extends RequestHandler {
  override get() {
    this.write(this.getArgument("needed"));
  }
}

class StatusHandler extends RequestHandler {
  override get() {
    const code = Number(this.getArgument("code"));
    const reason = this.getArgument("reason", undefined);
    this.setStatus(code, reason);
    if (code !== 204 && code !== 304) this.write(`status ${code}`);
  }
}

class HeaderHandler extends RequestHandler {
  override setDefaultHeaders() {
    this.setHeader("X-Default", "yes");
  }
  override get() {
    this.setHeader("X-Single", "one");
    this.addHeader("X-Multi", "a");
    this.addHeader("X-Multi", "b");
    this.setHeader("X-Number", 42);
    this.clearHeader("Server");
    this.write(this.request.headers.get("X-Client", "none"));
  }
}

class BadHeaderHandler extends RequestHandler {
  override get() {
    try {
      this.setHeader("X-Bad", "a\r\nInjected: yes");
      this.write("accepted");
    } catch (e) {
      this.write(`refused: ${(e as Error).name}`);
    }
  }
}

class PathArgsHandler extends RequestHandler {
  override get(a: string, b: string) {
    this.write({ a, b });
  }
}

class NamedArgsHandler extends RequestHandler {
  override get(kw: { user: string; repo: string }) {
    this.write({ user: kw.user, repo: kw.repo, fromThis: this.pathKwargs["user"] ?? null });
  }
}

class ColonArgsHandler extends RequestHandler {
  override get(id: string) {
    this.write(`item ${id}`);
  }
}

class RedirectMeHandler extends RequestHandler {
  override get() {
    const kind = this.getArgument("kind", "temp");
    if (kind === "perm") this.redirect("/hello", true);
    else if (kind === "303") this.redirect("/hello", false, 303);
    else this.redirect("/hello");
  }
}

class ThrowHandler extends RequestHandler {
  override get() {
    const kind = this.getArgument("kind", "error");
    if (kind === "http") throw new HTTPError(403, "forbidden for %s", { args: ["test"] });
    if (kind === "reason") throw new HTTPError(418, null, { reason: "Short And Stout" });
    if (kind === "finish") {
      this.setStatus(401);
      throw new Finish("finished early");
    }
    throw new Error("boom: secret detail");
  }
}

class AsyncHandler extends RequestHandler {
  override async prepare() {
    await new Promise((r) => setTimeout(r, 5));
    this.setHeader("X-Prepared", "async");
  }
  override async get() {
    await new Promise((r) => setTimeout(r, 5));
    this.write("async done");
  }
}

class PrepareFinishesHandler extends RequestHandler {
  override prepare() {
    void this.finish("from prepare");
  }
  override get() {
    throw new Error("must not run");
  }
}

class OnlyPostHandler extends RequestHandler {
  override post() {
    this.write("posted");
  }
}

class LimitedMethodsHandler extends RequestHandler {
  static override SUPPORTED_METHODS = ["GET", "POST"];
  override get() {
    this.write("limited get");
  }
  override delete() {
    this.write("never: DELETE is not supported");
  }
}

class HeadHandler extends RequestHandler {
  override get() {
    this.write("body for get");
  }
  override head() {
    this.setHeader("X-Head", "yes");
    this.write("body that HEAD must not send");
  }
}

class ReverseHandler extends RequestHandler {
  override get() {
    this.write({
      story: this.application.reverseUrl("story", 42),
      escaped: this.application.reverseUrl("story", "a b/c"),
      home: this.application.reverseUrl("home"),
      nested: this.application.reverseUrl("nested-item", "x"),
    });
  }
}

class WriteArrayHandler extends RequestHandler {
  override get() {
    try {
      this.write([1, 2] as unknown as Record<string, unknown>);
    } catch (e) {
      this.write(`${(e as Error).name}: ${(e as Error).message.slice(0, 60)}`);
    }
  }
}

class FlushHandler extends RequestHandler {
  override async get() {
    this.write("part1;");
    await this.flush();
    await new Promise((r) => setTimeout(r, 5));
    this.write("part2");
  }
}

class UnicodeHandler extends RequestHandler {
  override get() {
    this.write("héllo ☃ 😀");
  }
}

class BytesHandler extends RequestHandler {
  override get() {
    this.setHeader("Content-Type", "application/octet-stream");
    this.write(new Uint8Array([0, 1, 2, 255]));
  }
}

class WwwHandler extends RequestHandler {
  override get() {
    this.write("www host");
  }
}

class NestedItemHandler extends RequestHandler {
  override get(id: string) {
    this.write(`nested ${id} (${this.settings["name"] as string})`);
  }
}

class RequestInfoHandler extends RequestHandler {
  override get() {
    const r = this.request;
    this.write({
      method: r.method,
      uri: r.uri,
      path: r.path,
      query: r.query,
      host: r.host,
      hostName: r.hostName,
      protocol: r.protocol,
      version: r.version,
      cookie: r.cookies["c"] ?? null,
      fullUrl: r.fullUrl(),
    });
  }
}

class BodyEchoHandler extends RequestHandler {
  override post() {
    this.setHeader("Content-Type", "application/octet-stream");
    this.write(this.request.body);
  }
  override put() {
    this.write(`put ${this.request.body.length}`);
  }
}

// Body limits: this app accepts at most 1 MiB, except where a streaming handler raises it.
@streamRequestBody
class BigUploadHandler extends RequestHandler {
  bytes = 0;
  override prepare() {
    this.request.connection?.setMaxBodySize?.(8 * 1024 * 1024);
  }
  override dataReceived(chunk: Uint8Array) {
    this.bytes += chunk.length;
  }
  override put() {
    this.write({ bytes: this.bytes });
  }
}

@streamRequestBody
class SmallUploadHandler extends RequestHandler {
  bytes = 0;
  override dataReceived(chunk: Uint8Array) {
    this.bytes += chunk.length;
  }
  override put() {
    this.write({ bytes: this.bytes });
  }
}

class PlainUploadHandler extends RequestHandler {
  override put() {
    this.write({ bytes: this.request.body.length });
  }
}

const limitsApp = new Application(
  [
    ["/limits/big", BigUploadHandler],
    ["/limits/small", SmallUploadHandler],
    ["/limits/plain", PlainUploadHandler],
  ],
  { maxBodySize: 1024 * 1024 },
);

let backgroundTasks = 0;

// Typed env: on Workers the bindings (vitest.edge.config.ts sets GREETING); undefined on Node.
class EnvHandler extends RequestHandler<{ GREETING: string } | undefined> {
  override get() {
    if (this.getArgument("background", null) !== null) {
      this.waitUntil(Promise.resolve().then(() => backgroundTasks++));
    }
    this.write({ greeting: this.env?.GREETING ?? null, backgroundTasks });
  }
}

const debugApp = new Application([["/debug/throw", ThrowHandler]], { serveTraceback: true });

const nested = new Application(
  [url("/nested/item/(\\w+)", NestedItemHandler, {}, "nested-item")],
  { name: "inner" },
);

/** Builds the behaviour app; `templates` says where this host's templates come from. */
export function makeBehaviourApp(templates: TemplateSettings = {}): Application {
  const app = new Application(
    [
      url("/", HelloHandler, {}, "home"),
      ["/hello", HelloHandler],
      ["/args", EchoArgsHandler],
      ["/required", RequiredArgHandler],
      ["/status", StatusHandler],
      ["/headers", HeaderHandler],
      ["/bad-header", BadHeaderHandler],
      ["/path/(\\w+)/(\\w+)", PathArgsHandler],
      ["/named/(?P<user>[^/]+)/(?<repo>[^/]+)", NamedArgsHandler],
      ["/items/:id", ColonArgsHandler],
      url("/story/([^/]+)", PathArgsHandler, {}, "story"),
      ["/redirect", RedirectMeHandler],
      ["/redirect-handler/(.*)", RedirectHandler, { url: "/path/{0}/fixed" }],
      ["/gone", ErrorHandler, { statusCode: 410 }],
      ["/throw", ThrowHandler],
      ["/async", AsyncHandler],
      ["/prepare-finishes", PrepareFinishesHandler],
      ["/only-post", OnlyPostHandler],
      ["/limited", LimitedMethodsHandler],
      ["/head", HeadHandler],
      ["/reverse", ReverseHandler],
      ["/write-array", WriteArrayHandler],
      ["/flush", FlushHandler],
      ["/unicode", UnicodeHandler],
      ["/bytes", BytesHandler],
      ["/info", RequestInfoHandler],
      ["/body", BodyEchoHandler],
      ["/nested/.*", nested],
      ["/env", EnvHandler],
      ["/limits/.*", limitsApp],
      ["/debug/.*", debugApp],
      ["/w/.*", makeWebApp()],
      ["/gz/.*", makeGzipApp()],
      ["/t/.*", makeTemplateApp(templates)],
      ["/s/.*", makeStatefulApp()],
      ["/lc/.*", makeLifecycleApp()],
      ["/ws/.*", makeWebSocketApp()],
      ["/m/.*", makeMountApp()],
      ["/first-match", HelloHandler],
      ["/first-.*", ErrorHandler, { statusCode: 500 }],
    ],
    { name: "outer" },
  );
  app.addHandlers("www\\.example\\.com", [["/", WwwHandler]]);
  return app;
}
