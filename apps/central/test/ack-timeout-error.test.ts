import { AckTimeoutError } from "../src/hub/trigger-delivery";

/**
 * BullMQ reads the stack of every failed delivery attempt; formatting its frames through source
 * maps held central's loop when ~100 unacked triggers timed out at once (bench/README.md).
 */
describe("AckTimeoutError", () => {
  it("carries its message and no stack frames, and leaves other errors' stacks alone", () => {
    const err = new AckTimeoutError("t1", 15_000);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("AckTimeoutError");
    expect(err.stack).toBe(`AckTimeoutError: ${err.message}`);
    expect(err.message).toContain("terminal t1 did not ack its sync:trigger within 15000 ms");
    expect(new Error("other").stack).toMatch(/\n\s+at /);
  });
});
