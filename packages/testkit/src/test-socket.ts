import { io, type Socket } from "socket.io-client";

export interface TriggerSeen {
  type: string;
  terminalId: string;
  timestamp: string;
  reason: string;
}

/** A bare terminal socket for hub tests: records what central sends, acks when told. */
export interface TestSocket {
  socket: Socket;
  triggers: TriggerSeen[];
  pauses: number;
  resumes: number;
  /** Set when central refused the handshake (the message of connect_error). */
  refused?: string;
  /** Resolves once connected (and registered), or rejects with the refusal. */
  ready: Promise<void>;
  ack(t: TriggerSeen): void;
  close(): void;
}

export function connectTestSocket(
  url: string,
  creds: { terminalId: string; key: string },
  opts: { autoAck?: boolean } = {},
): TestSocket {
  const socket = io(url, {
    auth: { token: creds.key },
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  const t: TestSocket = {
    socket,
    triggers: [],
    pauses: 0,
    resumes: 0,
    ready: new Promise<void>((resolve, reject) => {
      socket.once("connect", () => {
        socket.emit("terminal:register", { terminalId: creds.terminalId });
        resolve();
      });
      socket.once("connect_error", (err) => {
        t.refused = err.message;
        reject(err);
      });
    }),
    ack(trigger) {
      socket.emit("sync:ack", { terminalId: trigger.terminalId, type: trigger.type, timestamp: trigger.timestamp });
    },
    close() {
      socket.disconnect();
    },
  };
  t.ready.catch(() => undefined);
  socket.on("sync:trigger", (p: TriggerSeen) => {
    t.triggers.push(p);
    if (opts.autoAck) t.ack(p);
  });
  socket.on("sync:pause", () => t.pauses++);
  socket.on("sync:resume", () => t.resumes++);
  return t;
}
