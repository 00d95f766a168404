import { createHash, randomBytes } from "node:crypto";

/**
 * Terminal keys are 32 random bytes. With that much entropy a fast hash is enough (no
 * password stretching needed), and it lets central find the key by its hash in one lookup.
 */
export function generateTerminalKey(): { key: string; hash: string; prefix: string } {
  const key = `tsk_${randomBytes(32).toString("base64url")}`;
  return { key, hash: hashTerminalKey(key), prefix: key.slice(0, 10) };
}

export function hashTerminalKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}
