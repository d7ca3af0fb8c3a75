/**
 * The fetch host's Response (src/core/fetch.ts): status, reason and headers as the handler
 * set them, whether they reach the runtime as a plain object (no name repeats) or as
 * `Headers` (a repeated name, or a name an object would not keep as given).
 */
import { describe, expect, test } from "vitest";
import { Application, RequestHandler } from "../../src/core/index.js";

function serve(get: (h: RequestHandler) => void | Promise<void>, method = "GET"): Promise<Response> {
  class H extends RequestHandler {
    override get() {
      return get(this);
    }
    override head() {
      return get(this);
    }
  }
  return new Application([["/", H]]).fetch(new Request("http://localhost/", { method }));
}

describe("response headers", () => {
  test("every header the handler set reaches the Response, beside Tornado's defaults", async () => {
    const r = await serve((h) => {
      h.setHeader("X-One", "1");
      h.setHeader("Content-Type", "text/plain");
      h.write("body");
    });
    expect(r.headers.get("x-one")).toBe("1");
    expect(r.headers.get("content-type")).toBe("text/plain");
    expect(r.headers.get("content-length")).toBe("4");
    expect(r.headers.get("server")).toMatch(/^CycloneServer\//);
    expect(r.headers.get("etag")).toMatch(/^"[0-9a-f]{40}"$/);
    expect(await r.text()).toBe("body");
  });

  test("a repeated header keeps each value (Set-Cookie)", async () => {
    const r = await serve((h) => {
      h.setCookie("a", "1");
      h.setCookie("b", "2");
      h.addHeader("X-Many", "x");
      h.addHeader("X-Many", "y");
    });
    expect(r.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    expect(r.headers.get("x-many")).toBe("x, y");
  });

  test("names an object would not keep as given (__proto__, a leading digit) keep their values", async () => {
    const r = await serve((h) => {
      h.setHeader("__proto__", "p");
      h.setHeader("1-Numeric", "n");
      h.setHeader("X-After", "a");
    });
    expect(r.headers.get("__proto__")).toBe("p");
    expect(r.headers.get("1-numeric")).toBe("n");
    expect(r.headers.get("x-after")).toBe("a");
  });

  test("a body whose Content-Type was cleared goes without one, as Tornado sends it", async () => {
    const r = await serve((h) => {
      h.clearHeader("Content-Type");
      h.write("no type");
    });
    expect(r.headers.get("content-type")).toBeNull();
    expect(await r.text()).toBe("no type");
  });

  test("HEAD keeps the headers GET would send, with no body", async () => {
    const r = await serve((h) => h.write("twelve bytes"), "HEAD");
    expect(r.headers.get("content-length")).toBe("12");
    expect(await r.text()).toBe("");
  });

  test("a streamed response carries its headers from the first flush", async () => {
    const r = await serve(async (h) => {
      h.setHeader("X-Stream", "yes");
      h.write("a");
      await h.flush();
      h.write("b");
    });
    expect(r.headers.get("x-stream")).toBe("yes");
    expect(await r.text()).toBe("ab");
  });
});

describe("status line", () => {
  test("the standard reason by default", async () => {
    const r = await serve((h) => h.setStatus(404));
    expect(r.status).toBe(404);
    expect(r.statusText).toBe("Not Found");
  });

  test("a custom reason is kept", async () => {
    const r = await serve((h) => h.setStatus(299, "Custom Reason"));
    expect(r.status).toBe(299);
    expect(r.statusText).toBe("Custom Reason");
  });
});
