/** How times and amounts read on the console: short, plain, and the same on every page. */

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "never" for null. */
export function formatAge(iso: string | null | undefined, now: number): string {
  if (!iso) return "never";
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return "unknown";
  if (ms < 0) return "just now";
  return `${formatDuration(ms / 1000)} ago`;
}

/** A duration in seconds as the largest unit that fits: "45 s", "12 min", "3 h", "2 d". */
export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** A lag as both numbers the operator asked for: "1,204 changes · 3 min". */
export function formatLag(changes: number, seconds: number | null | undefined): string {
  const count = `${changes.toLocaleString("en")} ${changes === 1 ? "change" : "changes"}`;
  if (changes === 0) return "up to date";
  return seconds === null || seconds === undefined ? count : `${count} · ${formatDuration(seconds)}`;
}

/** An ISO time as local date and time to the second, e.g. "2026-12-01 14:03:22". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A value of a row cell for display: JSON for objects, "null" spelt out, strings as they are. */
export function formatCell(value: unknown): string {
  if (value === undefined) return "(absent)";
  if (value === null) return "null";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}
