import { defineConfig } from "vitest/config";

// The production smoke test: build the Worker with wrangler, serve the bundle from plain
// Miniflare (eval forbidden, as in production).
export default defineConfig({
  test: {
    include: ["test/smoke/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
