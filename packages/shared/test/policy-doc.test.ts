import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_SYNC_POLICY, policyDoc, resolvePolicy } from "../src";

describe("docs/sync-policy.md", () => {
  it("is what the policy generates (npx tsx scripts/print-policy-doc.ts > docs/sync-policy.md)", () => {
    const committed = readFileSync(path.resolve(__dirname, "../../../docs/sync-policy.md"), "utf8");
    expect(committed).toBe(policyDoc(DEFAULT_SYNC_POLICY));
  });

  it("names products' central-owned fields and the ledger's direct-edit rule from the policy", () => {
    const doc = policyDoc(DEFAULT_SYNC_POLICY);
    expect(doc).toContain(
      "| `products` | both ways | 5 | CENTRAL_WINS | price_cents, tax_rate_bp, active, category_id, brand_id | every store |",
    );
    expect(doc).toMatch(
      /direct write of `inventory_items.quantity` becomes one of its rows, new − old, with reason COUNT/,
    );
    // The columns a protocol added, from protocol-columns.ts (what an older till neither gets nor sends).
    expect(doc).toContain("- protocol 2: `products.barcode`");
    // A different policy, a different document: nothing in it is written by hand.
    expect(policyDoc(resolvePolicy({ products: { strategy: "MANUAL_MERGE" } }))).toContain(
      "| `products` | both ways | 5 | MANUAL_MERGE |",
    );
  });
});
