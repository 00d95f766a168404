#!/usr/bin/env node
// Some registries (mirrors that carry only some platforms) cannot serve every platform build
// that packages such as @swc/core or turbo list as optional dependencies. npm then leaves
// those packages out of package-lock.json but keeps the edges to them, and `npm ci` refuses
// the lock as "out of sync". This removes optional edges that point at packages the lock does
// not contain, so `npm ci` installs exactly what the lock holds. Run after `npm install`:
//   npm run lock:prune
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const file = path.resolve(__dirname, "..", "package-lock.json");
const lock = JSON.parse(fs.readFileSync(file, "utf8"));
const present = new Set(Object.keys(lock.packages));

function resolves(from, name) {
  // Node resolution: look in from/node_modules, then each ancestor's node_modules.
  let dir = from;
  for (;;) {
    if (present.has(`${dir ? `${dir}/` : ""}node_modules/${name}`)) return true;
    if (!dir) return false;
    const idx = dir.lastIndexOf("/node_modules/");
    dir = idx >= 0 ? dir.slice(0, idx) : "";
  }
}

let pruned = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  const opt = entry.optionalDependencies;
  if (!opt) continue;
  for (const name of Object.keys(opt)) {
    if (!resolves(key, name)) {
      delete opt[name];
      pruned++;
    }
  }
  if (Object.keys(opt).length === 0) delete entry.optionalDependencies;
}
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
console.log(`lock:prune: removed ${pruned} optional edge(s) the registry could not serve`);
