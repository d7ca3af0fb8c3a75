// The tiny entry (`cyclone/tiny`): the core with no optional feature installed. Each
// feature-backed method fails with FeatureNotInstalledError naming the import to add, and
// works once that import is made. This file imports only src/core/tiny.ts at the top
// (vitest gives every test file its own module graph), then installs features one by one.
import { describe, expect, it } from "vitest";
import { captureLog } from "./capture-log.js";
import {
  Application,
  FeatureNotInstalledError,
  hasFeature,
  RequestHandler,
} from "../../src/core/tiny.js";

const app = (handlers: ConstructorParameters<typeof Application>[0], settings: ConstructorParameters<typeof Application>[1] = {}) =>
  new Application(handlers, settings);

/** Runs `use` in a GET handler; answers the error's class, feature and message, or "ok: <result>". */
function probe(use: (h: RequestHandler) => unknown, settings: Record<string, unknown> = {}) {
  class Probe extends RequestHandler {
    override get() {
      try {
        this.write(`ok: ${String(use(this))}`);
      } catch (e) {
        const f = e instanceof FeatureNotInstalledError ? e.feature : "-";
        this.write(`${(e as Error).name} ${f}: ${(e as Error).message}`);
      }
    }
  }
  return app([["/", Probe]], { cookieSecret: "s3cret", ...settings })
    .fetch(new Request("http://x/", { headers: { "Accept-Language": "fr-FR" } }))
    .then((r) => r.text());
}


class Echo extends RequestHandler {
  override post() {
    this.write({ a: this.getBodyArguments("a"), files: Object.keys(this.request.files) });
  }
}

const multipart = (boundary: string) =>
  new Request("http://x/", {
    method: "POST",
    headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
    body: `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n\r\nhi\r\n--${boundary}--\r\n`,
  });

describe("without features (cyclone/tiny)", () => {
  it("installs nothing on import", () => {
    for (const f of ["signing", "locale", "templates", "multipart", "static", "gzip"] as const) expect(hasFeature(f)).toBe(false);
  });

  it("serves plain handlers, cookies, JSON and form-urlencoded bodies", async () => {
    class Plain extends RequestHandler {
      override get() {
        this.setCookie("theme", "dark");
        this.write({ hello: this.getArgument("name", "world") });
      }
    }
    const a = app([["/", Plain], ["/post", Echo]]);
    const r = await a.fetch(new Request("http://x/?name=tiny"));
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ hello: "tiny" });
    expect(r.headers.get("Set-Cookie")).toBe("theme=dark; Path=/");
    expect(r.headers.get("Etag")).toMatch(/^"[0-9a-f]{40}"$/);
    const post = await a.fetch(
      new Request("http://x/post", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "a=1&a=2" }),
    );
    expect(await post.json()).toEqual({ a: ["1", "2"], files: [] });
  });

  it("signed cookies and XSRF name the signing import", async () => {
    const setSigned = await probe((h) => h.setSignedCookie("user", "alice"));
    expect(setSigned).toBe(
      'FeatureNotInstalledError signing: createSignedValue() needs the \'signing\' feature: add import "cyclone/features/signing" (the full entries cyclone, cyclone/node and cyclone/edge install every feature)',
    );
    expect(await probe((h) => h.getSignedCookie("user"))).toMatch(/^FeatureNotInstalledError signing: getSignedCookie\(\) needs/);
    expect(await probe((h) => h.xsrfToken)).toMatch(/^FeatureNotInstalledError signing: xsrfToken needs/);
    expect(await probe((h) => h.xsrfFormHtml())).toMatch(/^FeatureNotInstalledError signing: xsrfFormHtml\(\) needs/);
  });

  it("an xsrfCookies app refuses unsafe methods with a 500 that names the import, never lets them through", async () => {
    class Form extends RequestHandler {
      override post() {
        this.write("accepted");
      }
    }
    let status = 0;
    const log = await captureLog(async () => {
      const r = await app([["/", Form]], { xsrfCookies: true }).fetch(new Request("http://x/", { method: "POST" }));
      status = r.status;
      expect(await r.text()).not.toContain("accepted");
    });
    expect(status).toBe(500);
    expect(log.join("\n")).toContain("Uncaught exception POST / (");
  });

  it("locale, templates and UI name their imports", async () => {
    expect(await probe((h) => h.locale.code)).toMatch(/^FeatureNotInstalledError locale: getBrowserLocale\(\) needs .*"cyclone\/features\/locale"/);
    expect(await probe((h) => h.renderString("x.html"))).toMatch(/^FeatureNotInstalledError templates: renderString\(\) needs .*"cyclone\/features\/templates"/);
    expect(await probe((h) => h.ui)).toMatch(/^FeatureNotInstalledError templates: ui needs/);
  });

  it("staticPath and compressResponse refuse to build the application", () => {
    expect(() => app([], { staticPath: "/static" })).toThrow(FeatureNotInstalledError);
    expect(() => app([], { staticPath: "/static" })).toThrow(/^The staticPath setting needs the 'static' feature: add import "cyclone\/features\/static"/);
    expect(() => app([], { compressResponse: true })).toThrow(/^The compressResponse setting needs the 'gzip' feature/);
  });

  it("leaves a multipart body unparsed and warns once, naming the import", async () => {
    const a = app([["/", Echo]]);
    const log = await captureLog(async () => {
      for (const b of ["b1", "b2"]) {
        const r = await a.fetch(multipart(b));
        expect(r.status).toBe(200);
        expect(await r.json()).toEqual({ a: [], files: [] });
      }
    });
    expect(log).toEqual(['WARNING A multipart/form-data body was left unparsed: add import "cyclone/features/multipart" to parse such bodies']);
  });
});

describe("installing features one import at a time", () => {
  it("signing: signed cookies round-trip after the import", async () => {
    await import("../../src/core/features/signing.js");
    expect(hasFeature("signing")).toBe(true);
    expect(hasFeature("locale")).toBe(false);
    const signed = await probe((h) => {
      h.setSignedCookie("user", "alice");
      return h.getSignedCookie("user", h.createSignedValue("user", "bob"));
    });
    expect(signed).toBe("ok: bob");
    expect(await probe((h) => h.xsrfFormHtml())).toMatch(/^ok: <input type="hidden" name="_xsrf" value="2\|/);
  });

  it("locale: the browser's locale after the import", async () => {
    const { loadTranslations } = await import("../../src/core/features/locale.js");
    loadTranslations({ fr_FR: { unknown: { Hello: "Bonjour" } } });
    expect(await probe((h) => `${h.locale.code} ${h.locale.translate("Hello")}`)).toBe("ok: fr_FR Bonjour");
  });

  it("multipart: bodies are parsed after the import", async () => {
    await import("../../src/core/features/multipart.js");
    const r = await app([["/", Echo]]).fetch(multipart("b3"));
    expect(await r.json()).toEqual({ a: ["1"], files: ["f"] });
  });

  it("templates: renderString with a loader from settings after the import", async () => {
    const { DictLoader } = await import("../../src/core/template/compiler.js");
    await import("../../src/core/features/templates.js");
    const loader = new DictLoader({ "x.html": "{{ locale.code }} {{ name }}" });
    expect(await probe((h) => h.renderString("x.html", { name: "<b>" }), { templateLoader: loader })).toBe("ok: fr_FR &lt;b&gt;");
  });

  it("gzip and static: the settings build the application after the imports", async () => {
    await import("../../src/core/features/gzip.js");
    await import("../../src/core/features/static.js");
    const a = app([], { staticPath: "/static", compressResponse: true });
    expect(a.transforms).toHaveLength(1);
    expect(a.reverseUrl).toBeTypeOf("function");
    expect(a.makeStaticUrl("app.js", false)).toBe("/static/app.js");
  });
});
