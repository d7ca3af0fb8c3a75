import { defineConfig } from "vitest/config";

// Node-side tests: the core on plain Node, and the Node host over real 127.0.0.1 sockets.
export default defineConfig({
  test: {
    include: ["test/core/**/*.test.ts", "test/node/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
  },
});
