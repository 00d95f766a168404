import { spawnSync } from "node:child_process";
import path from "node:path";

/** The lint rule that keeps workspaces talking through their public entry points (issue 9). */
describe("workspace boundaries (lint)", () => {
  const root = path.resolve(__dirname, "../../..");
  // ESLint in its own process: its flat config is an ES module, which jest's VM cannot load.
  const eslint = path.join(root, "node_modules/eslint/bin/eslint.js");
  const problems = async (code: string, file: string) => {
    const r = spawnSync(process.execPath, [eslint, "--stdin", "--stdin-filename", file, "--format", "json"], {
      cwd: root,
      input: code,
      encoding: "utf8",
    });
    const [result] = JSON.parse(r.stdout) as Array<{ messages: Array<{ ruleId: string | null }> }>;
    return result!.messages.filter((m) => m.ruleId === "no-restricted-imports");
  };

  it("fails a deep import of another workspace, by package path or by relative path", async () => {
    expect(await problems(`import "@tillsync/terminal-agent/src/agent";\n`, "apps/central/src/x.ts")).not.toHaveLength(
      0,
    );
    expect(await problems(`import "../../terminal-agent/src/agent";\n`, "apps/central/src/x.ts")).not.toHaveLength(0);
    expect(await problems(`import "../apps/central/src/main";\n`, "bench/x.ts")).not.toHaveLength(0);
  });

  it("keeps test fixtures out of production code", async () => {
    expect(await problems(`import "@tillsync/testkit";\n`, "apps/central/src/x.ts")).not.toHaveLength(0);
    expect(await problems(`import "@tillsync/central/testing";\n`, "apps/terminal-agent/src/x.ts")).not.toHaveLength(0);
  });

  it("allows public entry points and a workspace's own files", async () => {
    expect(await problems(`import "@tillsync/shared";\nimport "./sibling";\n`, "apps/central/src/x.ts")).toEqual([]);
    expect(await problems(`import "@tillsync/central/testing";\n`, "apps/terminal-agent/test/x.test.ts")).toEqual([]);
    expect(await problems(`import "@tillsync/terminal-agent";\n`, "bench/x.ts")).toEqual([]);
  });
});
