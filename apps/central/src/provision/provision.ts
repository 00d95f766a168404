import { createStoreRequestSchema, createTerminalResponseSchema } from "@tillsync/shared";
import { z } from "zod";
import { readKeyFile, writeKeyFile } from "./key-file";
import type { ProvisionConfig } from "./provision-config";

/** What happened to one terminal: created (new key), rekeyed (existed, key file missing), kept. */
export type ProvisionOutcome = { terminalId: string; keyFile: string; action: "created" | "rekeyed" | "kept" };

export class ProvisionError extends Error {
  readonly code = "PROVISION_FAILED";
}

const rotateResponseSchema = z.object({ terminalId: z.string(), key: z.string().min(1) });

type Call = (method: string, p: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

function adminCaller(config: ProvisionConfig): Call {
  return async (method, p, body) => {
    const res = await fetch(new URL(p, config.CENTRAL_URL), {
      method,
      headers: {
        authorization: `Bearer ${config.ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
}

function failure(what: string, r: { status: number; body: unknown }): ProvisionError {
  return new ProvisionError(`${what}: central answered ${r.status} ${JSON.stringify(r.body)}`);
}

/** Waits until central answers GET /ready (it migrates first), polling: nothing else tells. */
async function waitForCentral(config: ProvisionConfig, log: (s: string) => void): Promise<void> {
  const deadline = Date.now() + config.PROVISION_WAIT_SECONDS * 1000;
  let last = "";
  for (let announced = false; Date.now() < deadline; announced = true) {
    try {
      const res = await fetch(new URL("/ready", config.CENTRAL_URL));
      if (res.ok) return;
      last = `GET /ready answered ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (!announced) log(`waiting for central at ${config.CENTRAL_URL} (${last})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new ProvisionError(
    `central at ${config.CENTRAL_URL} was not ready within ${config.PROVISION_WAIT_SECONDS} s: ${last}`,
  );
}

async function ensureStore(call: Call, config: ProvisionConfig): Promise<void> {
  const body = createStoreRequestSchema.parse({ id: config.PROVISION_STORE_ID, name: config.PROVISION_STORE_NAME });
  const r = await call("POST", "/api/stores", body);
  // 409: it exists already (a second run).
  if (r.status !== 201 && r.status !== 409) throw failure(`creating store ${body.id}`, r);
}

async function ensureTerminal(
  call: Call,
  config: ProvisionConfig,
  t: ProvisionConfig["PROVISION_TERMINALS"][number],
): Promise<ProvisionOutcome> {
  const owner = config.PROVISION_KEY_OWNER;
  const created = await call("POST", "/api/terminals", { id: t.id, name: t.name, storeId: config.PROVISION_STORE_ID });
  if (created.status === 201) {
    writeKeyFile(t.keyFile, createTerminalResponseSchema.parse(created.body).key, owner);
    return { terminalId: t.id, keyFile: t.keyFile, action: "created" };
  }
  if (created.status !== 409) throw failure(`creating terminal ${t.id}`, created);
  // The terminal exists. Its key is shown only once: if the file is gone, issue a new one.
  if (readKeyFile(t.keyFile)) return { terminalId: t.id, keyFile: t.keyFile, action: "kept" };
  const rotated = await call("POST", `/api/terminals/${t.id}/rotate-key`, {});
  if (rotated.status !== 200) throw failure(`rotating the key of terminal ${t.id}`, rotated);
  writeKeyFile(t.keyFile, rotateResponseSchema.parse(rotated.body).key, owner);
  return { terminalId: t.id, keyFile: t.keyFile, action: "rekeyed" };
}

/**
 * Creates the store and the terminals through central's admin API and writes each key file.
 * Safe to run again: what exists is kept, and a terminal whose key file is missing gets a new key.
 */
export async function provision(config: ProvisionConfig, log: (s: string) => void): Promise<ProvisionOutcome[]> {
  await waitForCentral(config, log);
  const call = adminCaller(config);
  await ensureStore(call, config);
  const out: ProvisionOutcome[] = [];
  for (const t of config.PROVISION_TERMINALS) {
    const o = await ensureTerminal(call, config, t);
    log(`terminal ${o.terminalId}: ${o.action}, key in ${o.keyFile}`);
    out.push(o);
  }
  return out;
}
