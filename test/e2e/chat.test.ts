/**
 * The chat demo in a real browser (Chromium), on both hosts: the Node host and the Worker
 * under `wrangler dev`. Two people join one room, Ann over a WebSocket and Bob by long
 * polling (`?transport=poll`); each sees the other's messages in the order the room gave
 * them; a reload keeps the signed-in user; a forged form without the XSRF token is refused.
 * Screenshots of every step go to test-results/.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { BrowserContext, Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchChromium } from "./browser.js";
import { type ChatHost, startNodeChat, startWranglerChat } from "./hosts.js";

const SCREENSHOTS = "test-results";
/** How long a message may take to reach the other page. */
const DELIVERY_MS = 15_000;

const launch = await launchChromium();
if (launch.skipReason !== undefined) console.warn(`[e2e] the browser tests are skipped: ${launch.skipReason}`);

afterAll(async () => {
  await launch.browser?.close();
});

/** The messages a page shows, as "from: body", in page order. */
function inbox(page: Page): Promise<string[]> {
  return page.$$eval("#inbox .message", (nodes) => nodes.map((n) => (n.textContent ?? "").trim()));
}

/** The room positions (seq) of the messages a page shows, in page order. */
function seqs(page: Page): Promise<number[]> {
  return page.$$eval("#inbox .message", (nodes) => nodes.map((n) => Number(n.getAttribute("data-seq"))));
}

/** Types a message into the composer and sends it, as a person would (Enter). */
async function say(page: Page, text: string): Promise<void> {
  await page.fill("#body", text);
  await page.press("#body", "Enter");
  // The composer empties once the page has taken the message.
  await expect.poll(() => page.inputValue("#body"), { timeout: 5_000 }).toBe("");
}

/** Waits until the page shows exactly `expected`, in that order. */
async function expectInbox(page: Page, expected: readonly string[]): Promise<void> {
  await expect.poll(() => inbox(page), { timeout: DELIVERY_MS, interval: 100 }).toEqual(expected);
}

/** Waits until the status line says the page is connected, and by which transport. */
async function expectConnected(page: Page, transport: "websocket" | "polling"): Promise<void> {
  await expect.poll(() => page.textContent("#status"), { timeout: DELIVERY_MS, interval: 100 }).toBe(`connected (${transport})`);
}

/** Submits a form built in the page without an `_xsrf` field; returns the response it navigates to. */
async function submitForgedForm(page: Page, action: string, fields: Record<string, string>): Promise<Response | null> {
  const navigation = page.waitForNavigation();
  await page.evaluate(
    ({ action, fields }) => {
      const form = document.createElement("form");
      form.method = "post";
      form.action = action;
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.appendChild(input);
      }
      document.body.appendChild(form);
      form.submit();
    },
    { action, fields },
  );
  return navigation;
}

const hosts: ReadonlyArray<{ name: string; slug: string; start: () => Promise<ChatHost> }> = [
  { name: "the Node host (node build/examples/chat/node.js)", slug: "node", start: startNodeChat },
  { name: "the Worker under wrangler dev", slug: "wrangler-dev", start: startWranglerChat },
];

if (launch.skipReason !== undefined) {
  test.skip(`Chromium cannot start, so the browser tests are skipped: ${launch.skipReason}`, () => {});
}

describe.skipIf(launch.skipReason !== undefined).each(hosts)("the chat in Chromium, on $name", ({ slug, start }) => {
  let host: ChatHost;
  let annContext: BrowserContext;
  let bobContext: BrowserContext;
  let ann: Page;
  let bob: Page;
  // A room of its own per run, so nothing from an earlier run shows up.
  const room = `e2e-${slug}-${Date.now().toString(36)}`;
  const sent: string[] = [];

  const shot = (page: Page, step: string) => page.screenshot({ path: join(SCREENSHOTS, `chat-${slug}-${step}.png`), fullPage: true });

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    host = await start();
    // Two contexts: two people with their own cookies, as two browsers.
    annContext = await launch.browser!.newContext({ baseURL: host.baseUrl });
    bobContext = await launch.browser!.newContext({ baseURL: host.baseUrl });
    for (const context of [annContext, bobContext]) context.setDefaultTimeout(DELIVERY_MS);
    ann = await annContext.newPage();
    bob = await bobContext.newPage();
  });

  afterAll(async () => {
    await annContext?.close();
    await bobContext?.close();
    await host?.stop();
  });

  test("a visitor is sent to sign in, then back to the room (WebSocket)", async () => {
    await ann.goto(`/room/${room}`);
    expect(new URL(ann.url()).pathname).toBe("/auth/login");
    expect(new URL(ann.url()).searchParams.get("next")).toBe(`/room/${room}`);
    await shot(ann, "1-login");
    await ann.fill("#name", "ann");
    await Promise.all([ann.waitForURL(`**/room/${room}`), ann.click("#signin")]);
    expect(await ann.textContent("h1")).toBe(`#${room}`);
    expect(await ann.textContent(".me")).toBe("ann");
    await expectConnected(ann, "websocket");
    await shot(ann, "2-room-ann");
  });

  test("a second visitor joins the same room by long polling (?transport=poll)", async () => {
    await bob.goto(`/room/${room}?transport=poll`);
    expect(new URL(bob.url()).pathname).toBe("/auth/login");
    await bob.fill("#name", "bob");
    await Promise.all([bob.waitForURL(`**/room/${room}?transport=poll`), bob.click("#signin")]);
    expect(await bob.textContent(".me")).toBe("bob");
    await expectConnected(bob, "polling");
    await shot(bob, "3-room-bob");
  });

  test("each sees the other's messages, in the order they were sent", async () => {
    const turns: Array<[Page, string]> = [
      [ann, "ann: hello from the socket"],
      [bob, "bob: hello from long polling"],
      [ann, "ann: <b>not bold</b> & escaped"],
      [bob, "bob: see https://example.com/"],
    ];
    for (const [page, line] of turns) {
      await say(page, line.slice(line.indexOf(": ") + 2));
      sent.push(line);
      await expectInbox(ann, sent);
      await expectInbox(bob, sent);
    }
    // Markup typed into a message is text, never markup.
    expect(await ann.locator("#inbox .message b").count()).toBe(turns.length);
    await shot(ann, "4-exchange-ann");
    await shot(bob, "4-exchange-bob");
  });

  test("messages sent by both at once reach both pages, each in the room's order", async () => {
    const burst = 4;
    const annLines = Array.from({ length: burst }, (_, i) => `ann: quick ${i + 1}`);
    const bobLines = Array.from({ length: burst }, (_, i) => `bob: quick ${i + 1}`);
    await Promise.all([
      (async () => {
        for (const line of annLines) await say(ann, line.slice(5));
      })(),
      (async () => {
        for (const line of bobLines) await say(bob, line.slice(5));
      })(),
    ]);
    const total = sent.length + 2 * burst;
    await expect.poll(async () => (await inbox(ann)).length, { timeout: DELIVERY_MS }).toBe(total);
    await expect.poll(async () => (await inbox(bob)).length, { timeout: DELIVERY_MS }).toBe(total);
    const shown = await inbox(ann);
    // Both pages agree on one order, the room's, and each person's lines keep theirs.
    expect(await inbox(bob)).toEqual(shown);
    expect(await seqs(ann)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(await seqs(bob)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(shown.filter((l) => l.startsWith("ann: quick"))).toEqual(annLines);
    expect(shown.filter((l) => l.startsWith("bob: quick"))).toEqual(bobLines);
    sent.splice(0, sent.length, ...shown);
    await shot(bob, "5-burst-bob");
  });

  test("a reload keeps the signed-in user and shows the history", async () => {
    await bob.reload();
    expect(new URL(bob.url()).pathname).toBe(`/room/${room}`);
    expect(await bob.textContent(".me")).toBe("bob");
    expect(await inbox(bob)).toEqual(sent);
    await expectConnected(bob, "polling");
    await ann.reload();
    expect(await ann.textContent(".me")).toBe("ann");
    expect(await inbox(ann)).toEqual(sent);
    await expectConnected(ann, "websocket");
    await shot(bob, "6-reloaded-bob");
  });

  test("after the reload, new messages still reach both pages", async () => {
    await say(bob, "back after a reload");
    sent.push("bob: back after a reload");
    await say(ann, "me too");
    sent.push("ann: me too");
    await expectInbox(ann, sent);
    await expectInbox(bob, sent);
  });

  test.runIf(slug === "node")("after a restart drops every connection, both pages reconnect and catch up", async () => {
    await host.restart!();
    // Posted while the pages may still be reconnecting: they must get it either way, by
    // the catch-up on reconnect or live. (The new process starts with an empty history,
    // a new epoch, so the pages count again from its first message.)
    const posted = await bob.evaluate(async () => {
      const xsrf = (document.querySelector("input[name=_xsrf]") as HTMLInputElement).value;
      const room = document.getElementById("inbox")!.getAttribute("data-room")!;
      const r = await fetch(`/room/${room}/message/new`, { method: "POST", body: new URLSearchParams({ body: "after the restart", _xsrf: xsrf }) });
      return r.status;
    });
    expect(posted).toBe(200);
    for (const page of [ann, bob]) {
      await expect.poll(async () => (await inbox(page)).at(-1), { timeout: DELIVERY_MS, interval: 100 }).toBe("bob: after the restart");
    }
    await expectConnected(ann, "websocket");
    await expectConnected(bob, "polling");
    await say(ann, "and live again");
    for (const page of [ann, bob]) {
      await expect.poll(async () => (await inbox(page)).at(-1), { timeout: DELIVERY_MS, interval: 100 }).toBe("ann: and live again");
    }
    // What the pages showed before stays; nothing is shown twice.
    const annNow = await inbox(ann);
    expect(annNow.slice(0, sent.length)).toEqual(sent);
    expect(annNow.slice(sent.length)).toEqual(["bob: after the restart", "ann: and live again"]);
    await shot(ann, "6b-after-restart-ann");
    // The new process's history holds only the new messages: later tests start from it,
    // with both pages reloaded onto it.
    sent.splice(0, sent.length, "bob: after the restart", "ann: and live again");
    await ann.reload();
    await bob.reload();
    expect(await inbox(ann)).toEqual(sent);
    expect(await inbox(bob)).toEqual(sent);
    await expectConnected(ann, "websocket");
    await expectConnected(bob, "polling");
  });

  test("without JavaScript, the room's form posts a message and comes back to the room", async () => {
    const context = await launch.browser!.newContext({ baseURL: host.baseUrl, javaScriptEnabled: false });
    try {
      const cai = await context.newPage();
      await cai.goto(`/room/${room}`);
      await cai.fill("#name", "cai");
      await Promise.all([cai.waitForURL(`**/room/${room}`), cai.click("#signin")]);
      await cai.fill("#body", "no scripts here");
      await Promise.all([cai.waitForURL(`**/room/${room}`), cai.click("#send")]);
      sent.push("cai: no scripts here");
      expect(await inbox(cai)).toEqual(sent);
      await shot(cai, "7-no-script-cai");
      await expectInbox(ann, sent);
      await expectInbox(bob, sent);
    } finally {
      await context.close();
    }
  });

  test("a long-polling page that hears of a message late still shows it before its own newer one", async () => {
    // Bob's network is slow: every long-poll answer reaches his page 1.5 s after the server sent it.
    await bob.route("**/message/updates", async (route) => {
      try {
        const response = await route.fetch({ timeout: 60_000 });
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await route.fulfill({ response });
      } catch {
        // The page went away (reload, close) while its poll waited: nothing to deliver.
      }
    });
    try {
      // Routes apply to requests made after them: reload, so the waiting poll is a slow one.
      await bob.reload();
      await expectConnected(bob, "polling");
      await say(ann, "while bob's network is slow");
      sent.push("ann: while bob's network is slow");
      await expectInbox(ann, sent);
      // Ann's message is now in the room and on its way to Bob; Bob answers before it arrives.
      await say(bob, "answering before hearing it");
      sent.push("bob: answering before hearing it");
      await expectInbox(ann, sent);
      await expectInbox(bob, sent);
    } finally {
      await bob.unrouteAll({ behavior: "ignoreErrors" });
    }
    await shot(bob, "8-slow-poll-bob");
  });

  test("a forged form without the XSRF token is refused with 403 and posts nothing", async () => {
    const forged = await submitForgedForm(ann, `/room/${room}/message/new`, { body: "forged message", next: `/room/${room}` });
    expect(forged?.status()).toBe(403);
    expect(await ann.textContent("body")).toContain("403");
    await shot(ann, "9-forged-403");
    await ann.goto(`/room/${room}`);
    expect(await inbox(ann)).toEqual(sent);
    expect(await ann.textContent("#inbox")).not.toContain("forged message");
  });

  test("signing in sends the user back only to a path on this site", async () => {
    const context = await launch.browser!.newContext({ baseURL: host.baseUrl });
    try {
      const page = await context.newPage();
      await page.goto("/auth/login");
      const xsrf = await page.inputValue("input[name=_xsrf]");
      const cases: Array<[string, string]> = [
        [`/room/${room}?transport=poll`, `/room/${room}?transport=poll`],
        ["https://evil.example/", "/"],
        ["//evil.example/", "/"],
        // Browsers read these as other sites too: a backslash, a tab, a path normalizing to "//".
        ["/\\evil.example/", "/"],
        ["/\t/evil.example/", "/"],
        ["/.//evil.example/", "/"],
      ];
      for (const [next, location] of cases) {
        const r = await context.request.post("/auth/login", { form: { name: "dee", next, _xsrf: xsrf }, maxRedirects: 0 });
        expect(r.status(), next).toBe(302);
        expect(r.headers()["location"], next).toBe(location);
      }
    } finally {
      await context.close();
    }
  });

  test("posting a message sends the user back only to a path on this site", async () => {
    const xsrf = await ann.inputValue("#composer input[name=_xsrf]");
    const r = await annContext.request.post(`/room/${room}/message/new`, {
      form: { body: "where do I go now?", next: "/\\evil.example/", _xsrf: xsrf },
      maxRedirects: 0,
    });
    sent.push("ann: where do I go now?");
    expect(r.status()).toBe(302);
    expect(r.headers()["location"]).toBe(`/room/${room}`);
    await expectInbox(bob, sent);
  });

  test("a forged sign-in form without the XSRF token is refused with 403", async () => {
    const forged = await submitForgedForm(bob, "/auth/login", { name: "mallory", next: "/" });
    expect(forged?.status()).toBe(403);
    await bob.goto(`/room/${room}?transport=poll`);
    expect(await bob.textContent(".me")).toBe("bob");
  });
});
