import { defineConfig } from "vitest/config";

// End-to-end tests: the chat demo in a real Chromium against both hosts (the Node host as a
// child process, the Worker under wrangler dev). Starting wrangler dev runs its build first.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: "forks",
    fileParallelism: false,
  },
});
