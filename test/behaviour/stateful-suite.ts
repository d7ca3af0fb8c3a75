/** Stateful routes, run against every host: per-key state, storage and long polling. */
import { describe, expect, test } from "vitest";
import type { BehaviourClient } from "./suite.js";

export function defineStatefulSuite(client: () => BehaviourClient): void {
  const get = (path: string, init: RequestInit = {}) => client().fetch(path, { redirect: "manual", ...init });
  const form = (body: string): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });

  describe("stateful routes", () => {
    test("a stateful handler knows its key; a plain one has none", async () => {
      const r = (await (await get("/s/room/alpha/who")).json()) as { key: string };
      expect(r.key).toBe("alpha");
      expect(await (await get("/s/plain")).json()).toEqual({ stateKey: null, inObject: false });
    });

    test("requests with the same key reach the same place; other keys another", async () => {
      const a1 = (await (await get("/s/room/alpha/who")).json()) as { object: string | null };
      const a2 = (await (await get("/s/room/alpha/who")).json()) as { object: string | null };
      const b = (await (await get("/s/room/beta/who")).json()) as { object: string | null };
      expect(a1.object).toBe(a2.object);
      if (client().hostKind === "edge") {
        expect(a1.object).toMatch(/^[0-9a-f]{64}$/);
        expect(b.object).not.toBe(a1.object);
      } else {
        expect(a1.object).toBeNull();
      }
    });

    test("storage is per key: put, get, list, delete", async () => {
      expect(await (await get("/s/room/store1/storage", form("value=one"))).text()).toBe("stored");
      expect(await (await get("/s/room/store1/storage")).json()).toEqual({ value: "one", keys: ["k:value"] });
      expect(await (await get("/s/room/store2/storage")).json()).toEqual({ value: null, keys: [] });
      expect(await (await get("/s/room/store1/storage", { method: "DELETE" })).json()).toEqual({ deleted: true });
      expect(await (await get("/s/room/store1/storage")).json()).toEqual({ value: null, keys: [] });
    });

    test("long polling: a waiting request wakes when another request for the key notifies", async () => {
      const waiting = get("/s/room/lp/wait");
      // Notify until the waiter has arrived (bounded), then read what it got.
      let woken = 0;
      for (let i = 0; i < 100 && woken === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const n = (await (await get("/s/room/lp/notify", form(`message=m${i}`))).json()) as { waiting: number };
        woken = n.waiting;
      }
      expect(woken).toBe(1);
      const r = (await (await waiting).json()) as { woke: boolean; messages: string[] };
      expect(r.woke).toBe(true);
      expect(r.messages).toHaveLength(1);
      expect(r.messages[0]).toMatch(/^m\d+$/);
    });

    test("the client address reaches the object, and a client cannot forge it", async () => {
      const headers = { "CF-Connecting-IP": "203.0.113.9", "X-Cyclone-Remote-Ip": "6.6.6.6", "X-Real-Ip": "7.7.7.7" };
      const r = (await (await get("/s/room/ip/who", { headers })).json()) as { remoteIp: string };
      // On Workers the platform sets CF-Connecting-IP (the test client stands in for it);
      // on Node the socket's address counts and these headers are ignored.
      expect(r.remoteIp).toBe(client().hostKind === "edge" ? "203.0.113.9" : "127.0.0.1");
    });
  });
}
