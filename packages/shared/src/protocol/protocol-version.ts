import { z } from "zod";
import { UpgradeRequiredError, type UpgradeRequiredDetails } from "../errors";

/**
 * The version of the wire protocol in this repository (the schemas in protocol/ and the row
 * shapes of the sync policy). Every request of the agent carries it (PROTOCOL_HEADER, and the
 * socket handshake's `auth.protocol`); central serves this version and the one before it
 * (OLDEST_PROTOCOL_VERSION), so tills can be upgraded one by one after central. Raise it when
 * a change to the schemas or the policy's columns would break an agent one version behind, and
 * say in protocol-columns.ts what that version added.
 *
 * 1: the first release (agents of it send no header).
 * 2: products.barcode.
 */
export const PROTOCOL_VERSION = 2;

/** The oldest protocol central still serves (rows adapted to its shape, protocol-columns.ts). */
export const OLDEST_PROTOCOL_VERSION = 1;

/**
 * The protocol a request without PROTOCOL_HEADER speaks: only agents of protocol 1 send none,
 * so such a request is served as protocol 1 while central still serves it, and refused with
 * 426 (upgrade the agent) once OLDEST_PROTOCOL_VERSION is above 1.
 */
export const UNVERSIONED_PROTOCOL = 1;

/** HTTP request header carrying the agent's protocol version (a positive integer). */
export const PROTOCOL_HEADER = "x-tillsync-protocol";
/**
 * HTTP request header carrying the agent's schema version: the name of the newest terminal
 * migration it applies (informational: central logs it with every request; the protocol
 * decides the row shape).
 */
export const SCHEMA_HEADER = "x-tillsync-schema";

/** A schema version as sent: a migration name (`20261201180000_product_barcode`), at most 200 characters. */
export const schemaVersionSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_.-]+$/);

/** What central reports about the protocols it serves (GET /health, a 426's details). */
export interface ProtocolRange {
  oldest: number;
  newest: number;
}

export const CENTRAL_PROTOCOLS: ProtocolRange = { oldest: OLDEST_PROTOCOL_VERSION, newest: PROTOCOL_VERSION };

/** The protocol an agent's header names, or why it names none. */
export type HeaderProtocol = { ok: true; version: number } | { ok: false; reason: string };

/** Reads PROTOCOL_HEADER's value: absent is UNVERSIONED_PROTOCOL; anything but a positive integer is malformed. */
export function readProtocolHeader(raw: string | string[] | undefined): HeaderProtocol {
  if (raw === undefined) return { ok: true, version: UNVERSIONED_PROTOCOL };
  const text = Array.isArray(raw) ? raw.join(",") : raw;
  if (!/^[1-9][0-9]{0,5}$/.test(text.trim()))
    return { ok: false, reason: `${PROTOCOL_HEADER} must be a positive integer, got ${JSON.stringify(text)}` };
  return { ok: true, version: Number(text.trim()) };
}

/**
 * Whether a central serving `range` can talk with an agent of protocol `agent`; if not, the
 * 426 that says which side to upgrade and to what. An agent newer than central needs central
 * upgraded (the agent then resumes by itself); an agent older than central serves needs the
 * agent upgraded.
 */
export function checkProtocol(agent: number, range: ProtocolRange = CENTRAL_PROTOCOLS): UpgradeRequiredError | null {
  if (agent >= range.oldest && agent <= range.newest) return null;
  const details: UpgradeRequiredDetails = {
    upgrade: agent > range.newest ? "central" : "agent",
    agentProtocol: agent,
    centralOldest: range.oldest,
    centralNewest: range.newest,
    retryAfterSeconds: UPGRADE_RETRY_AFTER_S,
  };
  const message =
    details.upgrade === "central"
      ? `upgrade required: this agent speaks protocol ${agent}, central only ${range.oldest}-${range.newest}; ` +
        `upgrade central to a release speaking protocol ${agent} (the till keeps every change and resumes by itself)`
      : `upgrade required: this agent speaks protocol ${agent}, central serves ${range.oldest}-${range.newest} only; ` +
        `upgrade the agent to protocol ${range.newest} (its outbox keeps every change until then)`;
  return new UpgradeRequiredError(message, details);
}

/**
 * How long an agent told to wait for an upgrade waits before asking again: an upgrade of
 * central is noticed within this (or at once on the socket's reconnect).
 */
export const UPGRADE_RETRY_AFTER_S = 300;
