import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * docs/guarantees.md is where G1–G9 are defined and tied to the tests that hold them. These
 * checks keep it honest: a renamed or deleted test, or a guarantee number the code mentions
 * but the document does not define, fails here.
 */
describe("docs/guarantees.md", () => {
  const root = path.resolve(__dirname, "../../..");
  const doc = readFileSync(path.join(root, "docs/guarantees.md"), "utf8");
  const refs = [...doc.matchAll(/`([\w./-]+\.test\.ts)` › "([^"]+)"/g)].map((m) => ({ file: m[1]!, name: m[2]! }));

  it("names tests that exist, each with the named case", () => {
    expect(refs.length).toBeGreaterThan(20);
    const missing = refs.filter((r) => {
      const file = path.join(root, r.file);
      return !existsSync(file) || !readFileSync(file, "utf8").includes(`"${r.name}"`);
    });
    expect(missing).toEqual([]);
  });

  it("defines every guarantee the code refers to, and each has tests", () => {
    const defined = new Set([...doc.matchAll(/^## (G\d+) — /gm)].map((m) => m[1]!));
    const used = new Set<string>();
    for (const file of sourceFiles(root))
      for (const m of readFileSync(file, "utf8").matchAll(/\bG(\d+)\b/g)) used.add(`G${m[1]}`);
    expect([...used].filter((g) => !defined.has(g))).toEqual([]);
    for (const g of defined) {
      const section = doc.split(`## ${g} — `)[1]!.split(/^## /m)[0]!;
      expect([g, /\*\*Tests\.\*\*/.test(section) && /\.test\.ts` › "/.test(section)]).toEqual([g, true]);
    }
  });
});

/** TypeScript files of every workspace, scripts and benches (not node_modules, dist or generated code). */
function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (["node_modules", "dist", "generated", ".turbo", ".git"].includes(name)) continue;
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) out.push(p);
    }
  };
  for (const d of ["apps", "packages", "scripts", "bench"])
    if (existsSync(path.join(root, d))) walk(path.join(root, d));
  return out;
}
