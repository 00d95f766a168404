import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Command } from "commander";
import {
  checkProtocol,
  healthResponseSchema,
  PROTOCOL_VERSION,
  START_CURSOR,
  SyncStoppedError,
  UnauthorizedError,
  ForbiddenError,
} from "@tillsync/shared";
import { loadAgentConfig, type AgentConfig } from "../config";
import { transportFromConfig } from "../daemon/from-config";
import { httpRequest } from "../transport/http-request";
import { CommandFailed } from "./cli-errors";
import { withVariables } from "./command-help";

/** Clocks further apart than this make conflict timestamps and `history` misleading. */
export const MAX_CLOCK_SKEW_MS = 60_000;

export interface Check {
  name: "resolve" | "reach" | "protocol" | "clock" | "key";
  ok: boolean;
  detail: string;
}

/** What the checks learned from GET /health that later checks use. */
interface Reached {
  rttMs: number;
  body: unknown;
  midpoint: number;
}

async function resolveCheck(host: string): Promise<Check> {
  const bare = host.replace(/^\[|\]$/g, "");
  if (isIP(bare)) return { name: "resolve", ok: true, detail: `${bare} is an address` };
  try {
    const a = await lookup(bare);
    return { name: "resolve", ok: true, detail: `${bare} → ${a.address}` };
  } catch (err) {
    return { name: "resolve", ok: false, detail: `${bare} does not resolve (${(err as NodeJS.ErrnoException).code})` };
  }
}

async function reachCheck(config: AgentConfig): Promise<[Check, Reached?]> {
  const url = new URL("/health", config.CENTRAL_API_URL);
  const t0 = Date.now();
  try {
    const res = await httpRequest(url, "GET", {}, undefined, {
      connectMs: config.SYNC_CONNECT_TIMEOUT_MS,
      readMs: config.SYNC_READ_TIMEOUT_MS,
      totalMs: config.SYNC_TIMEOUT * 1000,
    });
    const t1 = Date.now();
    if (res.status !== 200)
      return [{ name: "reach", ok: false, detail: `GET ${url.href} answered ${res.status}, not 200` }];
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      body = undefined;
    }
    return [
      { name: "reach", ok: true, detail: `GET ${url.href} answered 200 in ${t1 - t0} ms (round trip)` },
      { rttMs: t1 - t0, body, midpoint: (t0 + t1) / 2 },
    ];
  } catch (err) {
    return [{ name: "reach", ok: false, detail: (err as Error).message.replace(/; will retry$/, "") }];
  }
}

function protocolCheck(r: Reached): Check {
  const h = healthResponseSchema.safeParse(r.body);
  const theirs = h.success ? h.data.protocolVersion : undefined;
  if (theirs === undefined)
    return {
      name: "protocol",
      ok: false,
      detail: "central does not report a protocol version (older than this agent)",
    };
  // A central of the first release reports only its own version, which is then its oldest too.
  const refused = checkProtocol(PROTOCOL_VERSION, { oldest: h.data?.oldestProtocolVersion ?? theirs, newest: theirs });
  if (refused) return { name: "protocol", ok: false, detail: refused.message };
  const served =
    h.data?.oldestProtocolVersion && h.data.oldestProtocolVersion < theirs
      ? ` (central serves ${h.data.oldestProtocolVersion}-${theirs})`
      : "";
  return { name: "protocol", ok: true, detail: `protocol ${PROTOCOL_VERSION}, which central speaks${served}` };
}

function clockCheck(r: Reached): Check {
  const h = healthResponseSchema.safeParse(r.body);
  const theirs = h.success && h.data.time ? Date.parse(h.data.time) : NaN;
  if (Number.isNaN(theirs)) return { name: "clock", ok: false, detail: "central does not report its clock" };
  // Central read its clock somewhere inside the round trip: the midpoint is the best guess.
  const diff = Math.round(theirs - r.midpoint);
  const ahead = diff >= 0 ? "ahead of" : "behind";
  const detail = `central is ${Math.abs(diff)} ms ${ahead} this till (± ${Math.ceil(r.rttMs / 2)} ms)`;
  if (Math.abs(diff) > MAX_CLOCK_SKEW_MS)
    return {
      name: "clock",
      ok: false,
      detail: `${detail}; set the till's clock (NTP): more than ${MAX_CLOCK_SKEW_MS / 1000} s`,
    };
  return { name: "clock", ok: true, detail };
}

async function keyCheck(config: AgentConfig): Promise<Check> {
  try {
    // A pull of one row is a read at central: only acknowledge records progress.
    await transportFromConfig(config).pull(START_CURSOR, 1);
    return { name: "key", ok: true, detail: `central accepts the key of terminal ${config.TERMINAL_ID}` };
  } catch (err) {
    if (err instanceof SyncStoppedError)
      return { name: "key", ok: true, detail: `key accepted; sync is held by central: ${err.message}` };
    if (err instanceof UnauthorizedError || err instanceof ForbiddenError)
      return {
        name: "key",
        ok: false,
        detail: `central refused the key of terminal ${config.TERMINAL_ID}: ${err.message}`,
      };
    return { name: "key", ok: false, detail: (err as Error).message };
  }
}

/** Every check, in order; a failed resolve or reach stops there (the rest cannot be asked). */
export async function testConnection(config: AgentConfig): Promise<Check[]> {
  const checks = [await resolveCheck(new URL(config.CENTRAL_API_URL).hostname)];
  if (!checks[0]!.ok) return checks;
  const [reach, reached] = await reachCheck(config);
  checks.push(reach);
  if (!reached) return checks;
  checks.push(protocolCheck(reached), clockCheck(reached), await keyCheck(config));
  return checks;
}

export function addTestConnectionCommand(program: Command): void {
  withVariables(
    program
      .command("test-connection")
      .description("resolve and reach central, check the key, protocol version and clock; print the round trip")
      .action(async () => {
        const checks = await testConnection(loadAgentConfig());
        for (const c of checks) console.log(`${c.ok ? "ok  " : "FAIL"} ${c.name.padEnd(9)} ${c.detail}`);
        const failed = checks.filter((c) => !c.ok).map((c) => c.name);
        if (failed.length) throw new CommandFailed(`connection test failed: ${failed.join(", ")}`);
      }),
    ["central", "local"],
  );
}
