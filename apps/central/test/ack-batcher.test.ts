import { TerminalClient, waitFor } from "@tillsync/testkit";
import { AckBatcher } from "../src/hub/ack-batcher";
import { useTestCentral } from "../testing";

const { central, pg } = useTestCentral("ackbatch");

/** A store whose writes finish only when the test says so, recording every statement. */
function gatedStore() {
  const writes: Array<Array<{ id: string; cursor: string }>> = [];
  const gates: Array<{ open(): void; fail(err: Error): void }> = [];
  return {
    writes,
    gates,
    store: {
      acknowledgeMany: (batch: Array<{ id: string; cursor: string }>) =>
        new Promise<Set<string>>((resolve, fail) => {
          writes.push(batch);
          gates.push({ open: () => resolve(new Set(batch.map((b) => b.id))), fail });
        }),
    },
  };
}

describe("acknowledge batcher", () => {
  it("writes the first at once, those arriving meanwhile in one statement, a terminal's highest cursor", async () => {
    const g = gatedStore();
    const batcher = new AckBatcher(g.store, 100);
    let firstDone = false;
    const first = batcher.acknowledge("t1", "5").then(() => (firstDone = true));
    expect(g.writes).toEqual([[{ id: "t1", cursor: "5" }]]);
    const more = [
      batcher.acknowledge("t2", "7"),
      batcher.acknowledge("t1", "9"),
      batcher.acknowledge("t1", "8"), // reordered: the higher one stays
    ];
    expect(g.writes).toHaveLength(1);
    let moreDone = 0;
    for (const p of more) void p.then(() => moreDone++);
    g.gates[0]!.open();
    await first;
    expect(firstDone).toBe(true);
    await waitFor(() => g.writes.length === 2);
    expect(moreDone).toBe(0); // settled only once their own statement is done
    expect(g.writes[1]).toEqual([
      { id: "t2", cursor: "7" },
      { id: "t1", cursor: "9" },
    ]);
    g.gates[1]!.open();
    await Promise.all(more);
  });

  it("records each terminal's cursor when many acknowledge at once over HTTP, never moving one backwards", async () => {
    const { body } = await central.admin<{ store: { id: string } }>("POST", "/api/stores", { name: "acks" });
    const terminals = await Promise.all(
      Array.from({ length: 40 }, (_, i) => central.provisionTerminal({ storeId: body.store.id, name: `till ${i}` })),
    );
    // Cursors are bounded by the feed's head (store/terminal-acks.ts): give the feed 140 positions.
    await pg.query(
      `INSERT INTO products (id, sku, name, price_cents)
       SELECT gen_random_uuid(), 'ACK-' || gen_random_uuid(), 'p', 1 FROM generate_series(1, 140)`,
    );
    await central.running.store.feed.sequence();
    const ack = (t: (typeof terminals)[number], cursor: number) =>
      new TerminalClient(central.url, t.terminalId, t.key).raw("POST", "/api/sync/acknowledge", {
        terminalId: t.terminalId,
        cursor: String(cursor),
      });
    // Each terminal twice at once, the higher cursor first for the even ones (a reordered ack).
    const answers = await Promise.all(
      terminals.flatMap((t, i) => (i % 2 === 0 ? [ack(t, 100 + i), ack(t, 50)] : [ack(t, 50), ack(t, 100 + i)])),
    );
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    const { rows } = await pg.query<{ id: string; acked: string; seen: boolean }>(
      `SELECT id, acked_cursor::text AS acked, last_seen_at IS NOT NULL AS seen FROM terminals WHERE store_id = $1`,
      [body.store.id],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    terminals.forEach((t, i) => expect(byId.get(t.terminalId)).toMatchObject({ acked: String(100 + i), seen: true }));
    // A later, lower acknowledge leaves it where it is.
    expect((await ack(terminals[0]!, 3)).status).toBe(200);
    const again = await pg.query(`SELECT acked_cursor::text AS acked FROM terminals WHERE id = $1`, [
      terminals[0]!.terminalId,
    ]);
    expect(again.rows[0]).toEqual({ acked: "100" });
  });
});
