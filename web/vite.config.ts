/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The API answers on the same origin in production (CloudFront) and in the local stack;
// `npm run dev` proxies it to a running `make run`.
const apiTarget = process.env.WAVEDB_API_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 400 },
  server: { proxy: { "/v1": apiTarget } },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
