import tseslint from "typescript-eslint";

/**
 * Workspaces talk through their public entry points only (`@tillsync/x`, or a subpath its
 * `exports` map lists, like `@tillsync/central/testing`), never through another workspace's
 * files: a deep import of `src/` or a relative path into a sibling workspace fails here.
 */
const WORKSPACES = [
  "packages/shared",
  "packages/testkit",
  "apps/central",
  "apps/terminal-agent",
  "apps/control-center",
  "tests/console-browser",
];

const deepImports = (own) => ({
  patterns: [
    {
      group: ["@tillsync/*/src", "@tillsync/*/src/**", "@tillsync/*/dist/**"],
      message: "import the workspace's public entry point (@tillsync/<name>) instead of its files",
    },
    {
      group: WORKSPACES.filter((w) => w !== own).flatMap((w) => [
        `**/${w.split("/")[1]}/src/**`,
        `**/${w.split("/")[1]}/testing/**`,
      ]),
      message: "do not reach into another workspace by path; import its public entry point",
    },
  ],
});

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/generated/**", "**/dist/**", "**/.turbo/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  ...WORKSPACES.map((w) => ({
    files: [`${w}/**/*.ts`, `${w}/**/*.tsx`],
    rules: { "no-restricted-imports": ["error", deepImports(w)] },
  })),
  {
    files: ["scripts/**/*.ts", "bench/**/*.ts", "faults/**/*.ts"],
    rules: { "no-restricted-imports": ["error", deepImports("")] },
  },
  {
    // Production code never imports test fixtures.
    files: WORKSPACES.flatMap((w) => [`${w}/src/**/*.ts`, `${w}/src/**/*.tsx`]),
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...deepImports("").patterns,
            {
              group: ["@tillsync/testkit", "@tillsync/*/testing"],
              message: "test fixtures stay out of production code",
            },
          ],
        },
      ],
    },
  },
  {
    // One concept per file, small functions (STYLE.md). Tests are exempt: a test file is a
    // table of cases, and a case reads best in one piece.
    files: [
      ...WORKSPACES.flatMap((w) => [`${w}/src/**/*.ts`, `${w}/src/**/*.tsx`]),
      "scripts/**/*.ts",
      "bench/**/*.ts",
      "faults/**/*.ts",
    ],
    ignores: ["**/generated/**"],
    rules: {
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["error", { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
