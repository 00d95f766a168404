#!/usr/bin/env node
// Runs the built JavaScript with plain node (production). In a checkout, `npm run build`
// first; `npm run dev -w @tillsync/central` runs the TypeScript sources instead.
"use strict";
const path = require("node:path");
const entry = path.join(__dirname, "..", "dist", "bin.js");
try {
  require.resolve(entry);
} catch {
  console.error("tillsync-central: not built yet; run `npm run build` in the repository first");
  process.exit(2);
}
void require(entry).main();
