import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Operator tokens and session ids are 32 random bytes, like terminal keys: with that much
 * entropy a fast hash is enough (no password stretching), and central finds the holder by the
 * hash in one indexed lookup. Only hashes are stored.
 */
export function generateOperatorToken(): { token: string; hash: string } {
  const token = `tso_${randomBytes(32).toString("base64url")}`;
  return { token, hash: sha256(token) };
}

/** A new session: the cookie's id, its stored hash and the CSRF token the console echoes. */
export function generateSession(): { id: string; idHash: string; csrfToken: string } {
  const id = randomBytes(32).toString("base64url");
  return { id, idHash: sha256(id), csrfToken: randomBytes(24).toString("base64url") };
}

export function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/**
 * Equal secrets, compared in constant time over fixed-length digests: neither the length nor
 * the first differing byte of a guess shows in the timing.
 */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}
