import {
  describeZodError,
  parseRow,
  ProtocolMismatchError,
  snapshotEndSchema,
  snapshotHeaderSchema,
  snapshotRowSchema,
  type SnapshotEnd,
  type SnapshotHeader,
  type SnapshotRow,
  type SyncPolicy,
} from "@tillsync/shared";

/**
 * Reads the snapshot's lines in order and believes none of them unchecked (the agent distrusts
 * central as central distrusts it): a header first, then rows of the tables it named, each a
 * valid row of a table central sends down, then one end line that repeats the header's cursor
 * and epoch and counts the rows. Anything else is a ProtocolMismatchError, thrown before the
 * batch holding the line is written and before any cursor is stored.
 *
 *   expect-header --header--> rows --row--> rows --end--> done (any further line: error)
 */

function lie(what: string): ProtocolMismatchError {
  return new ProtocolMismatchError(
    `central broke the snapshot protocol: ${what}; the bootstrap stopped, no cursor was stored (check central's version and logs)`,
  );
}

export class SnapshotReader {
  private header: SnapshotHeader | undefined;
  private end: SnapshotEnd | undefined;
  private tables = new Set<string>();
  private count = 0;

  constructor(private readonly policy: SyncPolicy) {}

  /** One line: the row it carries, or undefined for the header and the end line. */
  read(text: string): SnapshotRow | undefined {
    if (this.end) throw lie("a line follows the end line");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw lie(`line ${this.count + 1} is not JSON`);
    }
    const type = (json as { type?: unknown } | null)?.type;
    if (type === "row") return this.row(json);
    if (type === "header") this.readHeader(json);
    else if (type === "end") this.readEnd(json);
    else throw lie(`a line of unknown type ${JSON.stringify(type)}`);
    return undefined;
  }

  /** The header and end line, once the stream is over: throws when it stopped short. */
  finish(): { header: SnapshotHeader; end: SnapshotEnd } {
    if (!this.header) throw lie("the stream has no header");
    if (!this.end) throw lie(`the stream ended after ${this.count} row(s) without its end line (cut short)`);
    return { header: this.header, end: this.end };
  }

  get rows(): number {
    return this.count;
  }

  private readHeader(json: unknown): void {
    if (this.header) throw lie("a second header");
    const h = snapshotHeaderSchema.safeParse(json);
    if (!h.success) throw lie(`its header is malformed (${describeZodError(h.error)})`);
    for (const t of h.data.tables) {
      const p = this.policy[t];
      if (!p || p.direction === "TERMINAL_TO_CENTRAL") throw lie(`its header names ${t}, which central never sends`);
      this.tables.add(t);
    }
    this.header = h.data;
  }

  private readEnd(json: unknown): void {
    if (!this.header) throw lie("the end line comes before the header");
    const e = snapshotEndSchema.safeParse(json);
    if (!e.success) throw lie(`its end line is malformed (${describeZodError(e.error)})`);
    if (e.data.cursor !== this.header.cursor || e.data.epoch !== this.header.epoch)
      throw lie(`its end line names cursor ${e.data.cursor} of epoch ${e.data.epoch}, its header another one`);
    if (e.data.rows !== this.count) throw lie(`its end line counts ${e.data.rows} row(s), and ${this.count} came`);
    this.end = e.data;
  }

  /**
   * The envelope is checked by hand, field for field what snapshotRowSchema says (a zod parse
   * of it copied every row once more, the largest cost of the check); the row itself goes
   * through the table's shared row schema (its fast path first: parseRow), every column's
   * domain included.
   */
  private row(json: unknown): SnapshotRow {
    if (!this.header) throw lie("a row comes before the header");
    if (!isEnvelope(json)) {
      const e = snapshotRowSchema.safeParse(json);
      throw lie(`row ${this.count + 1} is malformed (${e.success ? "unexpected field" : describeZodError(e.error)})`);
    }
    const { entityType, data, version } = json;
    if (!this.tables.has(entityType)) throw lie(`it sent ${entityType} rows, which its header did not name`);
    const checked = parseRow(this.policy[entityType], data);
    if (!checked.success)
      throw lie(`${entityType} ${String(data.id)} is not a valid row (${describeZodError(checked.error)})`);
    if (typeof data.id !== "string" || data.id !== String(checked.data.id))
      throw lie(`${entityType} row ${String(data.id)} has an id that is not a lower-case UUID`);
    if (data.version !== undefined && data.version !== version)
      throw lie(`${entityType} ${data.id} is sent as version ${version} and its row says ${String(data.version)}`);
    this.count++;
    return json;
  }
}

/** Own keys counted without building their array (Object.keys per row was garbage for the GC). */
function keyCount(o: object): number {
  let n = 0;
  for (const k in o) if (Object.hasOwn(o, k)) n++;
  return n;
}

function isEnvelope(json: unknown): json is SnapshotRow {
  const r = json as Partial<SnapshotRow>;
  return (
    keyCount(r) === 4 &&
    typeof r.entityType === "string" &&
    Number.isInteger(r.version) &&
    typeof r.data === "object" &&
    r.data !== null &&
    !Array.isArray(r.data)
  );
}
