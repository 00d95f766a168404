import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { schemaPath } from "../../../scripts/lib/schema-engine";
import { sqliteSchemaDrift } from "../../../scripts/lib/sqlite-drift";

describe("terminal migrations", () => {
  it("match prisma/terminal.prisma exactly (no drift)", async () => {
    expect(await sqliteSchemaDrift()).toEqual([]);
  }, 120_000);

  it("would report drift if the schema gained a column or changed a default", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "drift-"));
    const file = path.join(dir, "terminal.prisma");
    writeFileSync(
      file,
      readFileSync(schemaPath("terminal"), "utf8")
        .replace("  name      String\n  createdAt", "  name      String\n  city      String?\n  createdAt")
        .replace('status        String    @default("PENDING")\n  attempts', 'status        String    @default("NEW")\n  attempts'),
    );
    try {
      const problems = await sqliteSchemaDrift(file);
      expect(problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/^stores\.city: migrations have nothing/), expect.stringMatching(/^outbox\.status: /)]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
