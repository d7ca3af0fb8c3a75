/**
 * The web-surface part of the behaviour app: cookies, signed cookies, XSRF, auth,
 * decorators, streaming bodies, locale. Mounted under /w/ by app.ts, with its own settings.
 */
import {
  addslash,
  Application,
  authenticated,
  loadTranslations,
  removeslash,
  RequestHandler,
  streamRequestBody,
  UIModule,
  url,
} from "../../src/core/index.js";

/** The secret the web app signs with; test/fixtures/tornado-vectors.json uses it too. */
export const SECRET = "a-secret";

class CookieHandler extends RequestHandler {
  override get() {
    this.setCookie("plain", "value");
    this.setCookie("quoted", "a,b;c");
    this.setCookie("opts", "x", { domain: "example.com", path: "/p", maxAge: 60, httpOnly: true, secure: true, sameSite: "Lax" });
    this.setCookie("replaced", "first");
    this.setCookie("replaced", "second");
    this.clearCookie("gone");
    this.write({ got: this.getCookie("c", "none") });
  }
}

class ClearAllHandler extends RequestHandler {
  override get() {
    this.clearAllCookies({ path: "/" });
    this.write("cleared");
  }
}

class BadCookieHandler extends RequestHandler {
  override get() {
    try {
      this.setCookie("n", "ok", { path: "/a;Injected" });
      this.write("accepted");
    } catch (e) {
      this.write(`refused: ${(e as Error).name}`);
    }
  }
}

class SignedHandler extends RequestHandler {
  override get() {
    this.write({ user: this.getSignedCookie("user") });
  }
  override post() {
    this.setSignedCookie("user", this.getArgument("name"));
    this.write("signed");
  }
}

class XsrfHandler extends RequestHandler {
  override get() {
    this.write(this.xsrfFormHtml());
  }
  override post() {
    this.write("xsrf ok");
  }
}

class LoginHandler extends RequestHandler {
  override get() {
    this.write(`login page, next=${this.getArgument("next", "")}`);
  }
}

class UserHandler extends RequestHandler {
  override getCurrentUser() {
    return this.getSignedCookie("user");
  }
  @authenticated
  override get() {
    this.write(`hello ${String(this.currentUser)}`);
  }
  @authenticated
  override post() {
    this.write("posted as user");
  }
}

// The plain (undecorated) forms of the same decorators.
class AsyncUserHandler extends RequestHandler {
  override async getCurrentUser() {
    await new Promise((r) => setTimeout(r, 2));
    return this.request.headers.get("X-User") ?? null;
  }
  override prepare() {
    this.setHeader("X-Seen-In-Prepare", String(this.currentUser));
  }
  override get() {
    this.write(`async user ${String(this.currentUser)}`);
  }
}
AsyncUserHandler.prototype.get = authenticated(AsyncUserHandler.prototype.get);

class SlashHandler extends RequestHandler {
  @addslash
  override get() {
    this.write("with slash");
  }
}

class NoSlashHandler extends RequestHandler {
  override get() {
    this.write("without slash");
  }
}
NoSlashHandler.prototype.get = removeslash(NoSlashHandler.prototype.get);

@streamRequestBody
class UploadHandler extends RequestHandler {
  chunks = 0;
  bytes = 0;
  sum = 0;
  override prepare() {
    this.setHeader("X-Prepared-Before-Body", "yes");
  }
  override async dataReceived(chunk: Uint8Array) {
    this.chunks++;
    this.bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) this.sum = (this.sum + chunk[i]!) % 65521;
    await null;
  }
  override put() {
    this.write({ bytes: this.bytes, sum: this.sum, sawChunks: this.chunks > 0, body: this.request.body.length });
  }
}

class LocaleHandler extends RequestHandler {
  override get() {
    this.write({ code: this.locale.code, name: this.locale.name });
  }
}

const LONG_TEXT = "Compressible text. ".repeat(200);

class BigTextHandler extends RequestHandler {
  override get() {
    const kind = this.getArgument("kind", "text");
    if (kind === "json") this.write({ text: LONG_TEXT });
    else if (kind === "png") {
      this.setHeader("Content-Type", "image/png");
      this.write(LONG_TEXT);
    } else if (kind === "small") this.write("short");
    else this.write(LONG_TEXT);
  }
}

class StreamTextHandler extends RequestHandler {
  override async get() {
    for (let i = 0; i < 5; i++) {
      this.write(`chunk ${i}: ${LONG_TEXT.slice(0, 300)}\n`);
      await this.flush();
    }
  }
}

class ItemModule extends UIModule {
  override render(item: unknown) {
    return this.renderString("item.html", { item });
  }
  override embeddedCss() {
    return ".item { font-weight: bold; }";
  }
  override embeddedJavascript() {
    return "window.items = true;";
  }
  override javascriptFiles() {
    return ["https://cdn.example.com/a.js", "https://cdn.example.com/a.js"];
  }
  override cssFiles() {
    return "/css/item.css";
  }
}

class RenderHandler extends RequestHandler {
  override get() {
    return this.render("page.html", { title: "A <Title>", name: this.getArgument("name", "World"), items: ["one", "<two>"] });
  }
}

/** Settings that say where templates come from; each host supplies its own. */
export interface TemplateSettings {
  templatePath?: string;
  templateLoader?: import("../../src/core/index.js").TemplateLoader;
}

/** The template-rendering application, mounted under /t/. */
export function makeTemplateApp(templates: TemplateSettings): Application {
  return new Application([url("/t/render", RenderHandler, {}, "render")], {
    ...templates,
    uiModules: { Item: ItemModule },
    uiMethods: { shout: (_h: RequestHandler, s: string) => s.toUpperCase() + "!" },
  });
}

/** The compressing application, mounted under /gz/. */
export function makeGzipApp(): Application {
  return new Application(
    [
      ["/gz/big", BigTextHandler],
      ["/gz/stream", StreamTextHandler],
    ],
    { compressResponse: true },
  );
}

export { LONG_TEXT };

/** The web-surface application, mounted under /w/. */
export function makeWebApp(): Application {
  loadTranslations({ de_DE: { unknown: { Hello: "Hallo" } }, fr_FR: { unknown: { Hello: "Bonjour" } } });
  return new Application(
    [
      ["/w/cookies", CookieHandler],
      ["/w/bad-cookie", BadCookieHandler],
      ["/w/clear-all", ClearAllHandler],
      ["/w/signed", SignedHandler],
      ["/w/xsrf", XsrfHandler],
      ["/w/login", LoginHandler],
      ["/w/user", UserHandler],
      ["/w/async-user", AsyncUserHandler],
      ["/w/slash/?", SlashHandler],
      ["/w/noslash/?", NoSlashHandler],
      ["/w/upload", UploadHandler],
      ["/w/locale", LocaleHandler],
    ],
    { cookieSecret: SECRET, xsrfCookies: true, loginUrl: "/w/login" },
  );
}
