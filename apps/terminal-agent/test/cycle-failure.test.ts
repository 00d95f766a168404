import {
  DatabaseUnavailableError,
  SyncStoppedError,
  UpgradeRequiredError,
  ValidationError,
  CentralUnreachableError,
} from "@tillsync/shared";
import { classifyCycleFailure } from "../src/sync/cycle-failure";
import { StorageWatch } from "../src/sync/storage-condition";

// Which failures the breaker counts (G6) and which are waited out without it (G9).
describe("classifyCycleFailure", () => {
  it("a 423 is central's hold, with its retry-after, and never counted", () => {
    const f = classifyCycleFailure(
      new SyncStoppedError("stopped", { kind: "EMERGENCY_STOP", reason: "audit", retryAfterSeconds: 7 }),
      new StorageWatch(),
    );
    expect(f).toEqual({ kind: "held", hold: expect.objectContaining({ reason: "audit" }), retryAfterSeconds: 7 });
  });

  it("a 426 is a hold that says what to upgrade", () => {
    const f = classifyCycleFailure(new UpgradeRequiredError("protocol 3 required"), new StorageWatch());
    expect(f).toEqual({
      kind: "held",
      hold: { kind: "UPGRADE_REQUIRED", reason: "protocol 3 required" },
      retryAfterSeconds: undefined,
    });
  });

  it("central's database being down waits what central said (clamped), not the breaker", () => {
    const f = classifyCycleFailure(
      new DatabaseUnavailableError("db down", { retryAfterSeconds: 3600 }),
      new StorageWatch(),
    );
    expect(f.kind).toBe("database");
    expect(f.kind === "database" && f.waitMs).toBeLessThanOrEqual(45_000);
  });

  it("a full disk is recorded by the watch and not counted", () => {
    const storage = new StorageWatch();
    const f = classifyCycleFailure(
      Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }),
      storage,
    );
    expect(f).toEqual({ kind: "storage" });
    expect(storage.current.condition).toBe("full");
  });

  it("anything else is counted; offline unless retrying cannot help", () => {
    expect(classifyCycleFailure(new CentralUnreachableError("ECONNREFUSED"), new StorageWatch())).toEqual({
      kind: "failed",
      offline: true,
    });
    expect(classifyCycleFailure(new ValidationError("bad answer"), new StorageWatch())).toEqual({
      kind: "failed",
      offline: false,
    });
  });
});
