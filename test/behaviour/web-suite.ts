/**
 * The web-surface behaviour suite (cookies, signing, XSRF, auth, decorators, streaming
 * bodies, locale), run against every host like suite.ts.
 */
import { describe, expect, test } from "vitest";
import vectors from "../fixtures/tornado-vectors.json" with { type: "json" };
import type { BehaviourClient } from "./suite.js";
import { LONG_TEXT } from "./web-app.js";

function setCookies(r: Response): string[] {
  return (r.headers as Headers & { getSetCookie(): string[] }).getSetCookie();
}

function cookieJar(r: Response): string {
  return setCookies(r)
    .map((c) => c.split(";")[0]!)
    .join("; ");
}

export function defineWebSuite(client: () => BehaviourClient): void {
  const get = (path: string, init: RequestInit = {}) => client().fetch(path, { redirect: "manual", ...init });

  /** An XSRF cookie and a matching header, as a browser page would send them. */
  async function xsrfHeaders(): Promise<Record<string, string>> {
    const r = await get("/w/xsrf");
    await r.text();
    const cookie = cookieJar(r);
    return { Cookie: cookie, "X-XSRFToken": cookie.slice("_xsrf=".length) };
  }

  describe("cookies", () => {
    test("setCookie writes Python's Set-Cookie format, quoting when needed", async () => {
      const r = await get("/w/cookies", { headers: { Cookie: "c=from-client" } });
      expect(await r.json()).toEqual({ got: "from-client" });
      const all = setCookies(r);
      expect(all).toContain("plain=value; Path=/");
      expect(all).toContain('quoted="a\\054b\\073c"; Path=/');
      expect(all).toContain("opts=x; Domain=example.com; HttpOnly; Max-Age=60; Path=/p; SameSite=Lax; Secure");
      expect(all.filter((c) => c.startsWith("replaced="))).toEqual(["replaced=second; Path=/"]);
      const gone = all.find((c) => c.startsWith("gone="))!;
      expect(gone).toMatch(/^gone=""; expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; Path=\/$/);
      expect(new Date(gone.split("expires=")[1]!.split(";")[0]!).getTime()).toBeLessThan(Date.now());
    });

    test("clearAllCookies expires every cookie the client sent", async () => {
      const r = await get("/w/clear-all", { headers: { Cookie: "a=1; b=2; _xsrf=x" } });
      expect(await r.text()).toBe("cleared");
      const cleared = setCookies(r);
      expect(cleared.map((c) => c.split("=")[0]).sort()).toEqual(["_xsrf", "a", "b"]);
      for (const c of cleared) {
        expect(c).toMatch(/^[\w]+=""; expires=[^;]+; Path=\/$/);
        expect(new Date(c.split("expires=")[1]!.split(";")[0]!).getTime()).toBeLessThan(Date.now());
      }
    });

    test("a ; in a cookie attribute is refused, not sent", async () => {
      const r = await get("/w/bad-cookie");
      expect(await r.text()).toBe("refused: CookieError");
      expect(setCookies(r)).toEqual([]);
    });
  });

  describe("signed cookies", () => {
    test("a value signed by Tornado with the same secret verifies", async () => {
      const v = vectors.signed.find((x) => x.secret === "a-secret" && x.name === "user" && x.version === 2 && typeof x.secret === "string")!;
      // Tornado's vectors are made at a fixed clock long past; the cookie is too old (31 days)...
      const r = await get("/w/signed", { headers: { Cookie: `user=${v.signed}` } });
      const body = (await r.json()) as { user: string | null };
      const ageDays = (Date.now() / 1000 - vectors.clock) / 86400;
      expect(body.user).toBe(ageDays > 31 ? null : v.value);
    });
  });

  describe("XSRF", () => {
    async function token(): Promise<{ cookie: string; value: string }> {
      const r = await get("/w/xsrf");
      const html = await r.text();
      const value = /value="([^"]+)"/.exec(html)![1]!.replace(/&#39;|&quot;|&amp;/g, (e) => ({ "&#39;": "'", "&quot;": '"', "&amp;": "&" })[e]!);
      return { cookie: cookieJar(r), value };
    }

    test("GET issues a masked v2 token and its cookie", async () => {
      const t = await token();
      expect(t.value).toMatch(/^2\|[0-9a-f]{8}\|[0-9a-f]{32}\|\d+$/);
      expect(t.cookie).toMatch(/^_xsrf=2\|/);
    });

    test("POST without a token is 403", async () => {
      const r = await get("/w/xsrf", { method: "POST" });
      expect(r.status).toBe(403);
      await r.text();
    });

    test("POST with the form argument or the header is accepted", async () => {
      const t = await token();
      const form = await get("/w/xsrf", {
        method: "POST",
        headers: { Cookie: t.cookie, "Content-Type": "application/x-www-form-urlencoded" },
        body: `_xsrf=${encodeURIComponent(t.value)}`,
      });
      expect(await form.text()).toBe("xsrf ok");
      const header = await get("/w/xsrf", { method: "POST", headers: { Cookie: t.cookie, "X-XSRFToken": t.value } });
      expect(await header.text()).toBe("xsrf ok");
      const csrf = await get("/w/xsrf", { method: "DELETE", headers: { Cookie: t.cookie, "X-CSRFToken": t.value } });
      expect(csrf.status).toBe(405); // accepted by XSRF, then no delete() method
      await csrf.text();
    });

    test("a token from another cookie is 403", async () => {
      const a = await token();
      const b = await token();
      const r = await get("/w/xsrf", { method: "POST", headers: { Cookie: a.cookie, "X-XSRFToken": b.value } });
      expect(r.status).toBe(403);
      await r.text();
    });

    test("tokens issued by Tornado are accepted", async () => {
      for (const v of vectors.xsrf) {
        const r = await get("/w/xsrf", { method: "POST", headers: { Cookie: `_xsrf=${v.v2}`, "X-XSRFToken": v.v1 } });
        expect(await r.text()).toBe("xsrf ok");
      }
    });
  });

  describe("authentication", () => {
    test("@authenticated redirects GET to loginUrl with next=, and refuses POST with 403", async () => {
      const r = await get("/w/user?x=1");
      expect(r.status).toBe(302);
      expect(r.headers.get("location")).toBe("/w/login?next=%2Fw%2Fuser%3Fx%3D1");
      await r.text();
    });

    test("a signed-in user passes", async () => {
      // Sign in through the XSRF-protected form, as a browser would.
      const x = await get("/w/xsrf");
      const xsrf = cookieJar(x);
      const value = decodeURIComponent(xsrf.split("=").slice(1).join("="));
      await x.text();
      const signIn = await get("/w/signed", {
        method: "POST",
        headers: { Cookie: xsrf, "Content-Type": "application/x-www-form-urlencoded", "X-XSRFToken": value },
        body: "name=alice",
      });
      expect(await signIn.text()).toBe("signed");
      const user = cookieJar(signIn);
      // "=" is not a legal cookie character: Python (and so Cyclone) quotes the value.
      expect(user).toMatch(/^user="2\|1:0\|10:\d+\|4:user\|8:YWxpY2U=\|[0-9a-f]{64}"$/);
      const r = await get("/w/user", { headers: { Cookie: user } });
      expect(await r.text()).toBe("hello alice");
      const tampered = user.replace("YWxpY2U=", "Ym9iYm9i");
      const t = await get("/w/user", { headers: { Cookie: tampered } });
      expect(t.status).toBe(302);
      await t.text();
    });

    test("an async getCurrentUser is resolved before prepare()", async () => {
      const r = await get("/w/async-user", { headers: { "X-User": "bob" } });
      expect(r.headers.get("x-seen-in-prepare")).toBe("bob");
      expect(await r.text()).toBe("async user bob");
      const anon = await get("/w/async-user");
      expect(anon.status).toBe(302);
      await anon.text();
    });
  });

  describe("slash decorators", () => {
    test("addslash redirects permanently, keeping the query", async () => {
      const r = await get("/w/slash?q=1");
      expect(r.status).toBe(301);
      expect(r.headers.get("location")).toBe("/w/slash/?q=1");
      await r.text();
      const ok = await get("/w/slash/");
      expect(await ok.text()).toBe("with slash");
    });

    test("removeslash redirects permanently; the plain (wrapper) form works too", async () => {
      const r = await get("/w/noslash/");
      expect(r.status).toBe(301);
      expect(r.headers.get("location")).toBe("/w/noslash");
      await r.text();
      const ok = await get("/w/noslash");
      expect(await ok.text()).toBe("without slash");
    });
  });

  describe("streaming request bodies", () => {
    test("chunks reach dataReceived after prepare(); the body is never buffered", async () => {
      const size = 3 * 1024 * 1024 + 17;
      const body = new Uint8Array(size);
      let sum = 0;
      for (let i = 0; i < size; i++) {
        body[i] = (i * 7) & 255;
        sum = (sum + body[i]!) % 65521;
      }
      const r = await get("/w/upload", { method: "PUT", body, headers: await xsrfHeaders() });
      expect(r.headers.get("x-prepared-before-body")).toBe("yes");
      expect(await r.json()).toEqual({ bytes: size, sum, sawChunks: true, body: 0 });
    });
  });

  describe("compressResponse", () => {
    const gz = { "Accept-Encoding": "gzip" };

    test("a large text body is sent with Content-Encoding: gzip and Vary", async () => {
      const r = await get("/gz/big", { headers: gz });
      expect(r.headers.get("vary")).toBe("Accept-Encoding");
      if (client().hostKind === "node") expect(r.headers.get("content-encoding")).toBe("gzip");
      expect(await r.text()).toBe(LONG_TEXT);
    });

    test("JSON is compressible too; a PNG is not", async () => {
      const j = await get("/gz/big?kind=json", { headers: gz });
      expect(((await j.json()) as { text: string }).text).toBe(LONG_TEXT);
      const p = await get("/gz/big?kind=png", { headers: gz });
      expect(p.headers.get("content-encoding")).toBeNull();
      expect(p.headers.get("vary")).toBe("Accept-Encoding");
      await p.text();
    });

    test("a body under 1024 bytes, or a client that does not accept gzip, is sent as is", async () => {
      const s = await get("/gz/big?kind=small", { headers: gz });
      expect(s.headers.get("content-encoding")).toBeNull();
      expect(await s.text()).toBe("short");
      const n = await get("/gz/big", { headers: { "Accept-Encoding": "identity" } });
      expect(n.headers.get("content-encoding")).toBeNull();
      expect(n.headers.get("content-length")).toBe(String(LONG_TEXT.length));
      expect(await n.text()).toBe(LONG_TEXT);
    });

    test("a streamed response is compressed as it goes", async () => {
      const r = await get("/gz/stream", { headers: gz });
      const text = await r.text();
      expect(text.split("\n").filter(Boolean)).toHaveLength(5);
      expect(text.startsWith("chunk 0: Compressible text.")).toBe(true);
    });
  });

  describe("templates", () => {
    test("render: inheritance, escaping, _, reverseUrl, xsrfFormHtml, UI methods and modules with their assets", async () => {
      const r = await get("/t/render?name=%3Cscript%3E");
      expect(r.headers.get("content-type")).toBe("text/html; charset=UTF-8");
      const html = await r.text();
      expect(html).toContain("<title>A &lt;Title&gt;</title>");
      expect(html).toContain("<h1>Hello, &lt;script&gt;</h1>");
      expect(html).not.toContain("<script>");
      expect(html).toMatch(/<form method="post" action="\/t\/render"><input type="hidden" name="_xsrf" value="2\|[0-9a-f]{8}\|[0-9a-f]{32}\|\d+"\/><\/form>/);
      // item.html ends with a newline, which the module's output keeps, as Tornado's does.
      expect(html).toContain('<li><span class="item">one</span>\n</li>');
      expect(html).toContain('<li><span class="item">&lt;two&gt;</span>\n</li>');
      expect(html).toContain('<aside class="snippet">from the Template module</aside>');
      expect(html).toContain("<p>&lt;SCRIPT&gt;!</p>");
      // Module assets: linked once, embedded once, in the head or at the end of the body.
      const head = html.slice(0, html.indexOf("</head>"));
      expect(head).toContain('<link href="/css/item.css" type="text/css" rel="stylesheet"/>');
      expect(head).toContain('<style type="text/css">\n.item { font-weight: bold; }\n.snippet { color: red; }\n</style>');
      const tail = html.slice(html.lastIndexOf("</ul>"));
      expect(tail.match(/<script src="https:\/\/cdn\.example\.com\/a\.js" type="text\/javascript"><\/script>/g)).toHaveLength(1);
      expect(tail).toContain("<script type=\"text/javascript\">\n//<![CDATA[\nwindow.items = true;\n//]]>\n</script>");
      expect(tail).toContain("<!-- snippet body -->");
      expect(html.trimEnd().endsWith("</html>")).toBe(true);
    });
  });

  describe("mounting fetch-style apps", () => {
    test("an itty-router router mounted with FallbackHandler answers its routes", async () => {
      const r = await get("/m/itty/hello/ann");
      expect(r.status).toBe(200);
      expect(r.headers.get("x-from")).toBe("itty");
      expect(await r.text()).toBe("itty says hi to ann");
    });

    test("method, body and status pass through both ways", async () => {
      const r = await get("/m/itty/echo", { method: "POST", body: "payload" });
      expect(r.status).toBe(201);
      expect(r.statusText).toBe("Made");
      expect(await r.text()).toBe("payload");
    });

    test("a streamed body streams through", async () => {
      expect(await (await get("/m/itty/stream")).text()).toBe("part0;part1;part2;");
    });

    test("a route the mounted router does not have is 404", async () => {
      const r = await get("/m/itty/nothing");
      expect(r.status).toBe(404);
      await r.text();
    });

    test("a plain function is a fetch app too; Cyclone's own routes still win first", async () => {
      expect(await (await get("/m/fn/x/y")).text()).toBe("fn saw /m/fn/x/y");
      expect(await (await get("/m/own")).text()).toBe("cyclone's own route");
    });
  });

  describe("locale", () => {
    test("the locale comes from Accept-Language with q-values, among locales with translations", async () => {
      const r = await get("/w/locale", { headers: { "Accept-Language": "fr;q=0.5, de-DE;q=0.9, xx;q=1" } });
      expect(await r.json()).toEqual({ code: "de_DE", name: "Deutsch" });
      const d = await get("/w/locale");
      expect(await d.json()).toEqual({ code: "en_US", name: "English (US)" });
    });
  });
}
