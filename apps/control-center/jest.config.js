/** @type {import('jest').Config} */
const preset = require("../../jest.preset.js");
module.exports = {
  ...preset,
  // Components are .tsx (Preact's automatic JSX runtime); the tests cover the pure modules.
  transform: {
    "^.+\\.(t|j)sx?$": [
      "@swc/jest",
      {
        jsc: {
          parser: { syntax: "typescript", tsx: true },
          target: "es2022",
          transform: { react: { runtime: "automatic", importSource: "preact" } },
        },
        module: { type: "commonjs" },
      },
    ],
  },
};
