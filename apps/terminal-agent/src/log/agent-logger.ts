import pino, { type Logger } from "pino";

export type { Logger } from "pino";

/** The fields pino puts on every line that a reader does not need repeated on a terminal. */
const QUIET_FIELDS = new Set(["level", "time", "pid", "hostname", "service", "msg"]);
const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/**
 * Readable lines for a person at a terminal: `12:00:01 INFO  sync: pushed 2 … cycleId=7`.
 * The JSON line is parsed back rather than formatted twice, so both forms carry the same fields.
 */
export function prettyLine(json: string): string {
  const o = JSON.parse(json) as Record<string, unknown>;
  const time = new Date(Number(o.time)).toTimeString().slice(0, 8);
  const level = (LEVEL_NAMES[Number(o.level)] ?? String(o.level)).padEnd(5);
  const extra = Object.entries(o)
    .filter(([k]) => !QUIET_FIELDS.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return `${time} ${level} ${String(o.msg ?? "")}${extra.length ? `  ${extra.join(" ")}` : ""}\n`;
}

export interface AgentLoggerOptions {
  level: string;
  /** Where lines go: the daemon logs to stdout, one-shot commands to stderr (their output is stdout). */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Fields on every line (terminalId, as central's logs carry it). */
  bindings?: Record<string, unknown>;
  /** Readable lines instead of JSON; default: when the stream is a TTY. */
  pretty?: boolean;
}

/**
 * The agent's pino logger: one JSON object per line when the output goes to a file, journald
 * or a container log, readable lines on a terminal. Same field names as central's logs.
 */
export function createAgentLogger(o: AgentLoggerOptions): Logger {
  const pretty = o.pretty ?? o.stream.isTTY === true;
  const destination = pretty ? { write: (line: string) => o.stream.write(prettyLine(line)) } : o.stream;
  return pino({ level: o.level, base: { service: "tillsync-agent", ...o.bindings } }, destination);
}

/** A logger that hands each message to a function (in-process daemons in tests and the demo). */
export function lineLogger(write: (line: string) => void, level = "info"): Logger {
  return pino({ level, base: null }, { write: (line: string) => write(String(JSON.parse(line).msg)) });
}
