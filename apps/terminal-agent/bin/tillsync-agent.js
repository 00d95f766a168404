#!/usr/bin/env node
// Runs the built JavaScript with plain node (production, systemd, Docker). In a checkout,
// `npm run build` first; `npm run agent -- <command>` runs the TypeScript sources instead.
"use strict";
const path = require("node:path");
const entry = path.join(__dirname, "..", "dist", "cli.js");
try {
  require.resolve(entry);
} catch {
  console.error("tillsync-agent: not built yet; run `npm run build` in the repository first");
  process.exit(2);
}
void require(entry).main(process.argv);
