import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { diffMigrationsToSchema, schemaPath, sqlStatements } from "../../../scripts/lib/schema-engine";

describe("central migrations", () => {
  it("match prisma/central.prisma exactly (no drift)", async () => {
    expect(sqlStatements(await diffMigrationsToSchema("central"))).toBe("");
  }, 120_000);

  it("would report drift if the schema gained a column", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "drift-"));
    const file = path.join(dir, "central.prisma");
    writeFileSync(file, readFileSync(schemaPath("central"), "utf8").replace("  name      String\n  createdAt", "  name      String\n  city      String?\n  createdAt"));
    try {
      expect(sqlStatements(await diffMigrationsToSchema("central", file))).toMatch(/ADD COLUMN\s+"city"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
