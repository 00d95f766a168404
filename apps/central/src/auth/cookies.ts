/**
 * Reads one cookie from a Cookie header (requests and socket.io handshakes). Express 5 has no
 * cookie parser built in and the console needs exactly one cookie, so a few lines replace a
 * middleware dependency.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return undefined;
}
