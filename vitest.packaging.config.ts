import { defineConfig } from "vitest/config";

// Packaging: npm pack, then install the tarball into fresh Node and wrangler projects,
// type-check imports there and serve a Hello world from each.
export default defineConfig({
  test: {
    include: ["test/packaging/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
