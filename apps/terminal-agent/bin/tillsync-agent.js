#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so the CLI works straight after `npm install`.
require("tsx/cjs");
require("../src/cli.ts").main(process.argv);
