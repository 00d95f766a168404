/** @type {import('jest').Config} */
const preset = require("../../jest.preset.js");
module.exports = {
  ...preset,
  // One browser per file, one central per file: each file gets room on a shared 2-core machine.
  testTimeout: 120000,
};
