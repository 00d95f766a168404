import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { AGENT_DEFAULTS } from "../src";

const root = path.resolve(__dirname, "../../..");
const unitFile = path.join(root, "deploy/systemd/tillsync-agent.service");

/** `Key=value` lines of the unit, last one winning as systemd reads them (empty resets). */
function directives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** deploy/systemd/tillsync-agent.service: restart policy, environment file, hardening. */
describe("systemd unit", () => {
  const d = directives(readFileSync(unitFile, "utf8"));

  it("restarts for ever, reads its environment file, and waits for the batch in flight on stop", () => {
    expect(d.get("Restart")).toBe("always");
    expect(d.get("StartLimitIntervalSec")).toBe("0");
    expect(d.get("EnvironmentFile")).toBe("/etc/tillsync/agent.env");
    expect(d.get("KillSignal")).toBe("SIGTERM");
    expect(Number(d.get("TimeoutStopSec"))).toBeGreaterThan(AGENT_DEFAULTS.SYNC_TIMEOUT);
    // ExecStart runs the repository's built entry point, from the install prefix.
    const exec = d.get("ExecStart")!.split(" ");
    expect(exec.slice(-1)).toEqual(["start"]);
    const entry = exec[1]!.replace("/opt/tillsync/", "");
    expect(existsSync(path.join(root, entry))).toBe(true);
  });

  it("runs as its own user with the hardening options on", () => {
    expect(d.get("User")).toBe("tillsync");
    for (const [k, v] of Object.entries({
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      StateDirectory: "tillsync",
      CapabilityBoundingSet: "",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      SystemCallFilter: "@system-service",
    }))
      expect([k, d.get(k)]).toEqual([k, v]);
    // V8 needs writable, executable memory for its JIT: this option would kill node.
    expect(d.has("MemoryDenyWriteExecute")).toBe(false);
  });

  // .ci/run installs systemd-analyze where it is missing.
  it("passes systemd-analyze verify, with an exposure score below 3", () => {
    execFileSync("systemd-analyze", ["verify", unitFile], { stdio: "pipe" });
    const report = execFileSync("systemd-analyze", ["security", "--offline=yes", unitFile], { encoding: "utf8" });
    const score = Number(/Overall exposure level for tillsync-agent\.service: ([\d.]+)/.exec(report)?.[1]);
    expect(score).toBeLessThan(3);
  });
});
