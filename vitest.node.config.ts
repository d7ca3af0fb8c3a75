import { defineConfig } from "vitest/config";
import { tc39Decorators } from "./test/tc39-decorators.js";

// Node-side tests: the core on plain Node, and the Node host over real 127.0.0.1 sockets.
export default defineConfig({
  plugins: [tc39Decorators()],
  test: {
    include: ["test/core/**/*.test.ts", "test/node/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
  },
});
