/** A Cyclone app mounted inside itty-router (the reverse of FallbackHandler), in process. */
import { expect, test } from "vitest";
import { makeIttyWithCyclone } from "../behaviour/mount-app.js";

test("itty-router routes /app/* to Cyclone's app.fetch", async () => {
  const outer = makeIttyWithCyclone();
  const r = await outer.fetch(new Request("http://localhost/app/hello"));
  expect(r.status).toBe(200);
  expect(await r.text()).toBe("cyclone's own route");
  const miss = await outer.fetch(new Request("http://localhost/app/missing"));
  expect(miss.status).toBe(404);
  expect(await miss.text()).toContain("404: Not Found");
  const other = await outer.fetch(new Request("http://localhost/elsewhere"));
  expect(await other.text()).toBe("itty fallthrough");
});
