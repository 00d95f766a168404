import type { ConnectionOptions } from "bullmq";

/**
 * BullMQ's connection options from REDIS_URL. BullMQ opens (and closes) its own connections
 * from these; it must not share the hub's client, whose keyPrefix BullMQ does not support.
 * Its keys are isolated by its own `prefix` instead (see queuePrefix).
 */
export function bullConnection(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number.isFinite(db) ? db : 0,
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    // Workers block on Redis; BullMQ requires unlimited retries per request for them.
    maxRetriesPerRequest: null,
  };
}

/** Every BullMQ key of this deployment (or test) lives under `<REDIS_PREFIX>:bull`. */
export function queuePrefix(redisPrefix: string): string {
  return `${redisPrefix}:bull`;
}
