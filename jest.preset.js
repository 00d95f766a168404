const path = require("node:path");

// Shared jest settings: @swc/jest transforms TypeScript (ts-jest would need the TypeScript JS
// API); tests are real integration tests, so they get generous timeouts and run in band.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  transform: {
    "^.+\\.(t|j)sx?$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  // The schema engine's wasm glue ships as ES modules only; the drift tests load it.
  transformIgnorePatterns: ["/node_modules/(?!@prisma/schema-engine-wasm/)"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  // Workspaces resolve to their TypeScript sources in tests (see tsconfig.base.json).
  testEnvironmentOptions: { customExportConditions: ["@tillsync/source", "node", "node-addons"] },
  // PostgreSQL and Redis, started here where nothing answers (SPEC §6); the teardown fails the
  // run when tests left Redis keys without expiry (packages/testkit/src/global-setup.ts).
  globalSetup: path.join(__dirname, "packages/testkit/src/global-setup.ts"),
  globalTeardown: path.join(__dirname, "packages/testkit/src/global-teardown.ts"),
  testTimeout: 60000,
  maxWorkers: 1,
};
