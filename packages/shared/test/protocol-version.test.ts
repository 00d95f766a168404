import {
  checkProtocol,
  COLUMNS_ADDED_IN,
  DEFAULT_SYNC_POLICY,
  OLDEST_PROTOCOL_VERSION,
  policyForProtocol,
  PROTOCOL_VERSION,
  readProtocolHeader,
  resolvePolicy,
  rowForProtocol,
  unknownColumns,
  UNVERSIONED_PROTOCOL,
  type SyncTable,
} from "../src";

/** The row shapes of the protocols central serves, and who is told to upgrade (issue 12 §7). */
describe("protocol versions", () => {
  it("lists for every version after the first what it added, each an optional column of the policy", () => {
    for (let v = 2; v <= PROTOCOL_VERSION; v++) {
      const added = Object.entries(COLUMNS_ADDED_IN[v] ?? {});
      expect([v, added.length > 0]).toEqual([v, true]);
      for (const [table, cols] of added)
        for (const c of cols!) {
          const spec = DEFAULT_SYNC_POLICY[table as SyncTable].columns.find((x) => x.name === c);
          // Optional: a row of the older protocol, without it, must still be valid.
          expect([table, c, spec?.optional]).toEqual([table, c, true]);
        }
    }
  });

  it("gives an agent of the previous protocol the policy without the columns added since, cached", () => {
    const old = policyForProtocol(DEFAULT_SYNC_POLICY, PROTOCOL_VERSION - 1);
    expect(old.products.columns.map((c) => c.name)).not.toContain("barcode");
    expect(DEFAULT_SYNC_POLICY.products.columns.map((c) => c.name)).toContain("barcode");
    expect(old.customers).toBe(DEFAULT_SYNC_POLICY.customers);
    expect(policyForProtocol(DEFAULT_SYNC_POLICY, PROTOCOL_VERSION - 1)).toBe(old);
    expect(policyForProtocol(DEFAULT_SYNC_POLICY, PROTOCOL_VERSION)).toBe(DEFAULT_SYNC_POLICY);
    // A resolved (overridden) policy is adapted too, not the default one.
    const custom = resolvePolicy({ products: { strategy: "TERMINAL_WINS" } });
    expect(policyForProtocol(custom, PROTOCOL_VERSION - 1).products.strategy).toBe("TERMINAL_WINS");
    expect(() => policyForProtocol(DEFAULT_SYNC_POLICY, OLDEST_PROTOCOL_VERSION - 1)).toThrow(/older than the oldest/);
  });

  it("names a row's unknown columns and keeps only the known ones of central's rows", () => {
    const old = policyForProtocol(DEFAULT_SYNC_POLICY, PROTOCOL_VERSION - 1).products;
    expect(unknownColumns(old, { id: "x", name: "n", colour: 1, barcode: "1" })).toEqual(["barcode", "colour"]);
    expect(unknownColumns(DEFAULT_SYNC_POLICY.products, { id: "x", barcode: "1" })).toEqual([]);
    expect(rowForProtocol(old, { id: "x", barcode: "1", updated_at: "t" })).toEqual({ id: "x" });
  });

  it("reads the header: absent is protocol 1, anything but a positive integer is refused", () => {
    expect(readProtocolHeader(undefined)).toEqual({ ok: true, version: UNVERSIONED_PROTOCOL });
    expect(readProtocolHeader(" 2 ")).toEqual({ ok: true, version: 2 });
    for (const bad of ["", "0", "02", "-1", "1.0", "2,3", "1e3", "9999999"])
      expect([bad, readProtocolHeader(bad).ok]).toEqual([bad, false]);
    expect(readProtocolHeader(["1", "2"]).ok).toBe(false);
  });

  it("serves the range and tells which side to upgrade outside it", () => {
    const range = { oldest: 2, newest: 3 };
    expect(checkProtocol(2, range)).toBeNull();
    expect(checkProtocol(3, range)).toBeNull();
    const newer = checkProtocol(4, range)!;
    expect(newer).toMatchObject({ code: "UPGRADE_REQUIRED", httpStatus: 426, details: { upgrade: "central" } });
    expect(newer.message).toMatch(/^upgrade required: .*upgrade central to a release speaking protocol 4/);
    const older = checkProtocol(1, range)!;
    expect(older.details).toMatchObject({ upgrade: "agent", agentProtocol: 1, centralOldest: 2, centralNewest: 3 });
    expect(older.message).toMatch(/upgrade the agent to protocol 3/);
  });
});
