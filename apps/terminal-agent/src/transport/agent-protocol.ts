import { readdirSync } from "node:fs";
import { migrationsDir, PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER } from "@tillsync/shared";

/** What the agent tells central about itself on every request (HTTP headers, socket handshake). */
export interface AgentProtocol {
  /** The wire protocol it speaks (PROTOCOL_VERSION of its build). */
  version: number;
  /** Its schema version: the newest terminal migration it applies. */
  schema: string;
}

const newest = new Map<string, string>();

/**
 * The newest committed terminal migration's name, read once per folder: the agent applies
 * every committed migration when it opens its database, so this is its schema.
 */
export function terminalSchemaVersion(dir = migrationsDir("terminal")): string {
  let name = newest.get(dir);
  if (name === undefined) {
    name =
      readdirSync(dir)
        .filter((n) => /^\d{14}_/.test(n))
        .sort()
        .pop() ?? "none";
    newest.set(dir, name);
  }
  return name;
}

/** This build's protocol and schema. */
export function currentAgentProtocol(): AgentProtocol {
  return { version: PROTOCOL_VERSION, schema: terminalSchemaVersion() };
}

/** The request headers naming them (central's protocolGate reads them). */
export function protocolHeaders(p: AgentProtocol): Record<string, string> {
  return { [PROTOCOL_HEADER]: String(p.version), [SCHEMA_HEADER]: p.schema };
}
