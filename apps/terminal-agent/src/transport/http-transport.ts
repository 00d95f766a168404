import {
  CentralServerError,
  DEFAULT_SYNC_POLICY,
  errorFromBody,
  errorBodySchema,
  ProtocolMismatchError,
  ownOrdersPageSchema,
  pullResponseSchema,
  pushResponseSchema,
  type ErrorBody,
  type FeedCursor,
  type HeartbeatRequest,
  type OwnOrdersPage,
  type PullResponse,
  type PushChange,
  type PushResult,
  type SyncPolicy,
  type SyncTable,
} from "@tillsync/shared";
import type { z } from "zod";
import { checkOwnOrdersPage, checkPullPage, checkPushAnswer } from "./answer-checks";
import type { CentralTransport } from "./central-transport";
import { AGENT_DEFAULTS } from "../config";
import { currentAgentProtocol, protocolHeaders, type AgentProtocol } from "./agent-protocol";
import { httpRequest, type HttpTimeouts } from "./http-request";
import { openSnapshot, type SnapshotLines } from "./snapshot-stream";
import { pushBody } from "./push-body";
import { fastPushAnswer } from "./fast-push-answer";

export interface HttpTransportOptions {
  baseUrl: string;
  key: string;
  terminalId: string;
  /** Per operation, in milliseconds (SYNC_TIMEOUT). */
  timeoutMs: number;
  /** Connect and read deadlines (SYNC_CONNECT_TIMEOUT_MS, SYNC_READ_TIMEOUT_MS; defaults 10 s and 20 s). */
  timeouts?: Partial<Omit<HttpTimeouts, "totalMs">>;
  /** The policy central's rows are checked against (default: the default policy). */
  policy?: SyncPolicy;
  /**
   * The protocol and schema every request names (default: this build's). A test playing an
   * agent one version behind passes its older protocol, with the policy of that protocol.
   */
  protocol?: AgentProtocol;
}

/** A request body already written as JSON text (the push's, push-body.ts). */
class PreparedBody {
  constructor(readonly text: string) {}
}

/**
 * CentralTransport over HTTP; every failure becomes a typed, retry-aware error, and every
 * answer is checked before it is believed (answer-checks.ts). Every request names the agent's
 * protocol and schema (agent-protocol.ts); central's 426 arrives as UpgradeRequiredError.
 */
export class HttpCentralTransport implements CentralTransport {
  private readonly policy: SyncPolicy;
  private readonly versionHeaders: Record<string, string>;

  constructor(private readonly opts: HttpTransportOptions) {
    this.policy = opts.policy ?? DEFAULT_SYNC_POLICY;
    this.versionHeaders = protocolHeaders(opts.protocol ?? currentAgentProtocol());
  }

  async push(changes: PushChange[]): Promise<PushResult[]> {
    const body = await this.request(
      "POST",
      "/api/sync/push",
      new PreparedBody(pushBody(this.opts.terminalId, changes)),
      pushResponseSchema,
      fastPushAnswer,
    );
    checkPushAnswer(this.policy, changes, body.results);
    return body.results;
  }

  async pull(since: FeedCursor, limit: number, entityType?: SyncTable, epoch?: string): Promise<PullResponse> {
    const q = new URLSearchParams({
      since,
      limit: String(limit),
      ...(entityType ? { entityType } : {}),
      ...(epoch ? { epoch } : {}),
    });
    const page = await this.request("GET", `/api/sync/pull?${q.toString()}`, undefined, pullResponseSchema);
    checkPullPage(this.policy, since, page);
    return page;
  }

  async acknowledge(cursor: FeedCursor, epoch?: string): Promise<void> {
    const body = { terminalId: this.opts.terminalId, cursor, ...(epoch ? { epoch } : {}) };
    await this.request("POST", "/api/sync/acknowledge", body);
  }

  async ownOrders(since: string, limit: number, cursor?: string): Promise<OwnOrdersPage> {
    const q = new URLSearchParams({ since, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const page = await this.request("GET", `/api/sync/own-orders?${q.toString()}`, undefined, ownOrdersPageSchema);
    checkOwnOrdersPage(this.policy, this.opts.terminalId, page);
    return page;
  }

  /** No total deadline: a large catalogue streams for as long as central keeps sending. */
  snapshot(): Promise<SnapshotLines | undefined> {
    return openSnapshot({
      url: new URL("/api/sync/snapshot", this.opts.baseUrl),
      headers: { authorization: `Bearer ${this.opts.key}`, ...this.versionHeaders },
      connectMs: this.opts.timeouts?.connectMs ?? AGENT_DEFAULTS.SYNC_CONNECT_TIMEOUT_MS,
      readMs: this.opts.timeouts?.readMs ?? AGENT_DEFAULTS.SYNC_READ_TIMEOUT_MS,
    });
  }

  async heartbeat(body: Omit<HeartbeatRequest, "terminalId">): Promise<void> {
    await this.request("POST", "/api/sync/heartbeat", { terminalId: this.opts.terminalId, ...body });
  }

  /** `fast`: an accepting path that answers as `schema` would, or undefined to leave the answer to it. */
  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    schema?: z.ZodType<T>,
    fast?: (json: unknown) => T | undefined,
  ): Promise<T> {
    const url = new URL(path, this.opts.baseUrl);
    // Transport failures arrive here as typed, retryable errors (unreachable / timeout).
    const res = await httpRequest(
      url,
      method,
      {
        authorization: `Bearer ${this.opts.key}`,
        ...this.versionHeaders,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body instanceof PreparedBody ? body.text : body ? JSON.stringify(body) : undefined,
      {
        connectMs: this.opts.timeouts?.connectMs ?? AGENT_DEFAULTS.SYNC_CONNECT_TIMEOUT_MS,
        readMs: this.opts.timeouts?.readMs ?? AGENT_DEFAULTS.SYNC_READ_TIMEOUT_MS,
        totalMs: this.opts.timeoutMs,
      },
    );
    const json = safeJson(res.text);
    if (res.status >= 500) {
      // Central up, its database not: central says when to ask again (sync-engine.ts waits as told).
      const e = errorBodySchema.safeParse(json);
      if (e.success && e.data.error.code === "DATABASE_UNAVAILABLE") throw errorFromBody(e.data as ErrorBody);
      throw new CentralServerError(`central answered ${res.status} to ${method} ${path}; will retry`);
    }
    if (res.status < 200 || res.status >= 300) {
      const e = errorBodySchema.safeParse(json);
      if (e.success) throw errorFromBody(e.data as ErrorBody);
      throw new ProtocolMismatchError(`central answered ${res.status} without an error body to ${method} ${path}`);
    }
    if (!schema) return json as T;
    const quick = fast?.(json);
    if (quick) return quick;
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new ProtocolMismatchError(
        `central's answer to ${method} ${path} does not match the protocol; upgrade the agent or central`,
      );
    return parsed.data;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
