import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { tc39Decorators } from "./test/tc39-decorators.js";

// Workers-side tests: the same core inside workerd, through the Workers host.
export default defineConfig({
  plugins: [
    tc39Decorators(),
    cloudflareTest({
      main: "./test/edge/worker.ts",
      miniflare: {
        compatibilityDate: "2026-03-29",
        compatibilityFlags: ["enable_request_signal"],
        durableObjects: { CYCLONE_OBJECTS: "CycloneDurableObject" },
        bindings: { GREETING: "hello from env" },
      },
    }),
  ],
  test: {
    include: ["test/edge/**/*.test.ts"],
    globalSetup: ["./test/edge/global-setup.ts"],
    testTimeout: 20_000,
  },
});
