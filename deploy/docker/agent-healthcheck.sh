#!/bin/sh
# Docker HEALTHCHECK of the agent image: `status --json` works offline and must not be red.
set -eu
node /app/apps/terminal-agent/bin/tillsync-agent.js status --json \
  | node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => process.exit(JSON.parse(s).health === "red" ? 1 : 0));'
