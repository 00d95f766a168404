import { randomUUID } from "node:crypto";
import { PROTOCOL_HEADER, PROTOCOL_VERSION, type PushChange, type PushResult } from "@tillsync/shared";

/**
 * Talks to central as one terminal over real HTTP, for tests that push by hand. It names the
 * current protocol as an agent does; `headers` replaces that (`{}`: an agent of the first
 * release, which sends none).
 */
export class TerminalClient {
  constructor(
    readonly url: string,
    readonly terminalId: string,
    readonly key: string,
    readonly headers: Record<string, string> = { [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) },
  ) {}

  async raw(
    method: string,
    path: string,
    body?: unknown,
    key = this.key,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...this.headers,
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async push(changes: PushChange[]): Promise<PushResult[]> {
    const r = await this.raw("POST", "/api/sync/push", { terminalId: this.terminalId, changes });
    if (r.status !== 200) throw new Error(`push: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.results as PushResult[];
  }
}

/** A wire change with sensible defaults: `change("sale_orders", row)`. */
export function change(
  entityType: PushChange["entityType"],
  data: Record<string, unknown> | null,
  extra: Partial<PushChange> & { entityId?: string } = {},
): PushChange {
  const entityId = extra.entityId ?? (data?.id as string | undefined) ?? randomUUID();
  return {
    changeId: randomUUID(),
    entityType,
    entityId,
    operation: "CREATE",
    data: data ? { id: entityId, ...data } : null,
    baseVersion: null,
    syncPriority: 10,
    createdInMode: "ONLINE",
    createdAt: new Date().toISOString(),
    ...extra,
  } as PushChange;
}
