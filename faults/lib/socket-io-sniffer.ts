/**
 * Reads the socket.io events a client sends over a WebSocket the fault proxy carries, so the
 * scenarios see a `sync:pull` over the socket as they see a `GET /api/sync/pull` (the agent
 * pulls over its socket when central offers it). Only the client's side is read, and only as
 * far as an event's name: client frames are masked (RFC 6455 §5.3), so the proxy unmasks the
 * first bytes of each text frame and skips the rest of it, across TCP chunks. Hand-written
 * rather than a WebSocket library: the proxy forwards bytes untouched and must not terminate
 * the connection, which is what the libraries' parsers expect to do.
 */
export class SocketIoSniffer {
  private pending = Buffer.alloc(0);
  /** Bytes of the current frame's payload still to pass, after its head was read. */
  private skip = 0;

  constructor(private readonly onEvent: (name: string) => void) {}

  /** Feeds the next chunk the client sent after its upgrade request. */
  feed(chunk: Buffer): void {
    if (this.skip >= chunk.length) {
      this.skip -= chunk.length;
      return;
    }
    let buf = chunk.subarray(this.skip);
    this.skip = 0;
    if (this.pending.length > 0) buf = Buffer.concat([this.pending, buf]);
    this.pending = Buffer.alloc(0);
    while (buf.length > 0) {
      const head = frameHead(buf);
      if (!head) {
        this.pending = Buffer.from(buf); // a head cut by the chunk's end: wait for the rest
        return;
      }
      // Text frames carry engine.io packets; a socket.io event is `42[<ack id>]["name",...]`.
      if (head.opcode === 1) {
        const take = Math.min(head.length, 64);
        if (buf.length < head.offset + take) {
          this.pending = Buffer.from(buf);
          return;
        }
        const text = unmask(buf.subarray(head.offset, head.offset + take), head.mask).toString("latin1");
        const m = /^42\d*\["([^"]+)"/.exec(text);
        if (m) this.onEvent(m[1]!);
      }
      const end = head.offset + head.length;
      if (end > buf.length) {
        this.skip = end - buf.length;
        return;
      }
      buf = buf.subarray(end);
    }
  }
}

interface FrameHead {
  opcode: number;
  /** Where the payload starts. */
  offset: number;
  length: number;
  mask: Buffer | undefined;
}

function frameHead(buf: Buffer): FrameHead | undefined {
  if (buf.length < 2) return undefined;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let length = buf[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return undefined;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return undefined;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (masked && buf.length < offset + 4) return undefined;
  const mask = masked ? buf.subarray(offset, offset + 4) : undefined;
  return { opcode, offset: offset + (masked ? 4 : 0), length, mask };
}

function unmask(payload: Buffer, mask: Buffer | undefined): Buffer {
  if (!mask) return payload;
  const out = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) out[i] = payload[i]! ^ mask[i % 4]!;
  return out;
}
