import { EventEmitter } from "node:events";
import type { Socket } from "socket.io-client";
import { connectLiveFeed, type LiveState } from "../src/live/live-feed";
import { upsertTerminal, withEmergency } from "../src/logic/live-state";
import { terminal, terminalList } from "./fixtures";

/** A stand-in for socket.io's client socket: the server side "emits" by calling fire(). */
function fakeSocket() {
  const e = new EventEmitter();
  const socket = { on: (ev: string, fn: (...a: unknown[]) => void) => (e.on(ev, fn), socket), close: jest.fn() };
  return { socket: socket as unknown as Socket, fire: (ev: string, ...a: unknown[]) => e.emit(ev, ...a) };
}

describe("live feed from the /admin namespace", () => {
  it("passes on payloads that fit their schema and drops the rest", () => {
    const f = fakeSocket();
    const feed = connectLiveFeed(() => f.socket);
    const seen: string[] = [];
    feed.on("terminal:heartbeat", (p) => seen.push(p.terminal.name));
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    f.fire("terminal:heartbeat", { terminal: terminal({ name: "Till 7" }), at: "2026-12-01T10:00:00.000Z" });
    f.fire("terminal:heartbeat", { terminal: { id: "nope" }, at: "yesterday" });
    expect(seen).toEqual(["Till 7"]);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it("reports its state and asks pages to refetch after a reconnect, not after the first connect", () => {
    const f = fakeSocket();
    const feed = connectLiveFeed(() => f.socket);
    const states: LiveState[] = [];
    let resyncs = 0;
    feed.onState((s) => states.push(s));
    feed.onResync(() => resyncs++);
    f.fire("connect");
    f.fire("disconnect", "transport close");
    f.fire("connect_error", new Error("xhr poll error"));
    f.fire("connect");
    f.fire("connect_error", new Error("UNAUTHORIZED"));
    expect(states).toEqual(["connecting", "live", "reconnecting", "reconnecting", "live", "signed-out"]);
    expect(resyncs).toBe(1);
  });

  it("signs out when central drops the socket (session ended), not when the network does", () => {
    const f = fakeSocket();
    const feed = connectLiveFeed(() => f.socket);
    const states: LiveState[] = [];
    feed.onState((s) => states.push(s));
    f.fire("connect");
    f.fire("disconnect", "ping timeout");
    f.fire("connect");
    f.fire("disconnect", "io server disconnect");
    expect(states).toEqual(["connecting", "live", "reconnecting", "live", "signed-out"]);
  });

  it("tells a subscriber that arrives after the socket connected that it is live", () => {
    const f = fakeSocket();
    const feed = connectLiveFeed(() => f.socket);
    f.fire("connect");
    const states: LiveState[] = [];
    feed.onState((s) => states.push(s));
    expect(states).toEqual(["live"]);
  });

  it("stops calling a handler once unsubscribed", () => {
    const f = fakeSocket();
    const feed = connectLiveFeed(() => f.socket);
    const seen: boolean[] = [];
    const off = feed.on("sync:emergency-stop", (p) => seen.push(p.emergency.stopped));
    const emergency = { stopped: true, since: "2026-12-01T10:00:00.000Z", reason: "r", by: "ann" };
    f.fire("sync:emergency-stop", { emergency });
    off();
    f.fire("sync:emergency-stop", { emergency });
    expect(seen).toEqual([true]);
  });
});

describe("applying live events to the terminal list", () => {
  it("replaces the terminal in place, or appends a new one", () => {
    const a = terminal({ name: "A" });
    const b = terminal({ name: "B" });
    const list = terminalList([a, b]);
    const greener = upsertTerminal(list, { ...a, health: "green", lag: 0, name: "A2" });
    expect(greener.terminals.map((t) => t.name)).toEqual(["A2", "B"]);
    expect(list.terminals[0]!.name).toBe("A");
    expect(upsertTerminal(list, terminal({ name: "C" })).terminals.map((t) => t.name)).toEqual(["A", "B", "C"]);
  });

  it("takes the emergency state from the event", () => {
    const stopped = { stopped: true, since: "2026-12-01T10:00:00.000Z", reason: "r", by: "ann" };
    expect(withEmergency(terminalList([]), stopped).emergency).toEqual(stopped);
  });
});
