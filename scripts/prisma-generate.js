#!/usr/bin/env node
// Generates central's Prisma client offline (the agent uses none; see prisma/terminal.prisma). The Prisma CLI insists on locating a schema-engine
// binary even for `generate` (which never runs it) and would otherwise try to download one
// from a host that build machines often cannot reach; any existing file satisfies the check.
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};
const prismaCli = path.join(root, "node_modules", "prisma", "build", "index.js");
for (const side of ["central"]) {
  const schema = path.join(root, "prisma", `${side}.prisma`);
  const r = spawnSync(process.execPath, [prismaCli, "generate", "--schema", schema], {
    cwd: root,
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) {
    console.error(`prisma generate failed for ${side}.prisma (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}
