import { SELF } from "cloudflare:test";
import { expect, test } from "vitest";
test("worker answers", async () => {
  const r = await SELF.fetch("http://x/");
  expect(await r.text()).toBe("hi");
});
