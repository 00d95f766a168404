import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { diffMigrationsToSchema, schemaPath, sqlStatements } from "../../../scripts/lib/schema-engine";

// The engine's raw diff is never empty on SQLite with dbgenerated defaults; diffMigrationsToSchema
// keeps only the tables that really changed (see sqliteDiffMigrationsToSchema for why).
describe("terminal migrations", () => {
  it("match prisma/terminal.prisma exactly (no drift)", async () => {
    expect(sqlStatements(await diffMigrationsToSchema("terminal"))).toBe("");
  }, 120_000);

  // Proves the check above can fail, and that only the changed tables show up.
  it("would report drift if the schema gained a column or changed a default", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "drift-"));
    const file = path.join(dir, "terminal.prisma");
    const source = readFileSync(schemaPath("terminal"), "utf8");
    const changed = source
      .replace("  name      String\n  createdAt", "  name      String\n  city      String?\n  createdAt")
      .replace(
        'status        String    @default("PENDING")\n  attempts',
        'status        String    @default("NEW")\n  attempts',
      );
    expect(changed.split("\n").length).toBe(source.split("\n").length + 1);
    expect(changed).toContain('@default("NEW")');
    writeFileSync(file, changed);
    try {
      const sql = sqlStatements(await diffMigrationsToSchema("terminal", file));
      expect(sql).toMatch(/CREATE TABLE "new_stores" \([^;]*"city" TEXT,/);
      expect(sql).toMatch(/CREATE TABLE "new_outbox" \([^;]*"status" TEXT NOT NULL DEFAULT 'NEW',/);
      // The dbgenerated defaults come through as expressions, not as string literals.
      expect(sql).toContain(`DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`);
      const redefined = [...sql.matchAll(/^DROP TABLE "([^"]+)"/gm)].map((m) => m[1]).sort();
      expect(redefined).toEqual(["outbox", "stores"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
