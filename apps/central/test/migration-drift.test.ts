import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { diffMigrationsToSchema, schemaPath, sqlStatements } from "../../../scripts/lib/schema-engine";

// Each diff runs the schema engine in scratch PostgreSQL databases of its own (engine and
// shadow, uniquely named), dropped when it ends.
describe("central migrations", () => {
  it("match prisma/central.prisma exactly (no drift)", async () => {
    expect(sqlStatements(await diffMigrationsToSchema("central"))).toBe("");
  }, 120_000);

  // Proves the check above can fail: the same diff against a schema with one more column.
  it("would report drift if the schema gained a column", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "drift-"));
    const file = path.join(dir, "central.prisma");
    const source = readFileSync(schemaPath("central"), "utf8");
    const changed = source.replace(
      "  name      String\n  createdAt",
      "  name      String\n  city      String?\n  createdAt",
    );
    expect(changed).not.toBe(source);
    writeFileSync(file, changed);
    try {
      const sql = sqlStatements(await diffMigrationsToSchema("central", file));
      expect(sql).toMatch(/ALTER TABLE "stores" ADD COLUMN\s+"city" TEXT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
