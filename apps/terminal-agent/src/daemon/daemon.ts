import type { AgentConfig } from "../config";
import { scheduleDailyCleanup } from "../housekeeping/daily-cleanup";
import { scheduleTailIndexing } from "../housekeeping/tail-indexing";
import { lineLogger, type Logger } from "../log/agent-logger";
import { readAgentStatus } from "../status/agent-status";
import { startStatusServer, SyncDisabledError, type StatusServer } from "../status/status-server";
import type { CentralTransport } from "../transport/central-transport";
import { startSocketLink, type SocketLink } from "../transport/socket-link";
import { createAgent, type Agent } from "./agent";
import { cleanupLine, logEngineEvents, logStartupSync } from "./daemon-log";
import { transportFromConfig, type EngineOverrides } from "./from-config";
import { HeartbeatSender } from "./heartbeat";

export interface DaemonOptions {
  /** The daemon's structured log (the `start` command: pino on stdout). */
  logger?: Logger;
  /** Or a function that receives each message as one line (tests, the demo). */
  log?: (line: string) => void;
  /** Defaults to HTTP from the config; shared by the engine and the heartbeat. */
  transport?: CentralTransport;
  engine?: EngineOverrides;
}

export interface Daemon {
  agent: Agent;
  link: SocketLink | undefined;
  heartbeat: HeartbeatSender | undefined;
  /** The local status endpoint's port once it listens; undefined when AGENT_HTTP_PORT is unset. */
  httpPort: Promise<number | undefined>;
  /** Takes no new batch, finishes the one in flight, closes the link and the database. */
  stop(): Promise<void>;
}

/**
 * The running agent (`tillsync-agent start`), assembled in one place: the engine on its
 * timers with the startup sync, the socket link to central (triggers, emergency stop), the
 * heartbeat, the daily outbox cleanup, the local status endpoint, and the log lines of each.
 * Without the link or with central down, the engine still syncs on its interval and backoff
 * timers. With SYNC_ENABLED=false only the local parts run: nothing talks to central.
 */
export function startDaemon(config: AgentConfig, opts: DaemonOptions = {}): Daemon {
  const log = opts.logger ?? lineLogger(opts.log ?? (() => undefined));
  const transport = opts.transport ?? transportFromConfig(config);
  const agent = createAgent(config, transport, opts.engine);
  let cycles = 0;
  agent.engine.on("cycle", () => void cycles++);
  let heartbeat: HeartbeatSender | undefined;
  let link: SocketLink | undefined;
  if (config.SYNC_ENABLED) {
    logEngineEvents(agent.engine, log);
    // Timers first: a failing startup sync is retried by the engine's backoff timer.
    agent.engine.start();
    heartbeat = new HeartbeatSender(transport, agent, config.HEARTBEAT_INTERVAL_MS, (m) => log.warn(m)).start();
    const beats = heartbeat;
    void agent.engine.runCycle().then((first) => {
      logStartupSync(log, first);
      // Central sees the first clean cycle now rather than one heartbeat interval later.
      void beats.beatNow();
    });
    link = startSocketLink(agent, config, { heartbeat, log: (m) => log.info(m) });
  } else {
    log.warn("sync disabled (SYNC_ENABLED=false): the daemon stays up and sends nothing until started with it true");
  }
  const stopCleanup = scheduleDailyCleanup(
    agent.db,
    {
      retentionDays: config.OUTBOX_RETENTION_DAYS,
      historyDays: config.HISTORY_RETENTION_DAYS,
      hour: config.OUTBOX_CLEANUP_HOUR,
    },
    (r) => log.info(r, cleanupLine(r)),
  );
  const stopTailIndexing = scheduleTailIndexing(agent.db);
  const server = startLocalEndpoint(config, agent, () => cycles, log);
  log.info({ terminalId: config.TERMINAL_ID }, "running");
  return {
    agent,
    link,
    heartbeat,
    httpPort: server.then((s) => s?.port),
    async stop() {
      heartbeat?.stop();
      stopCleanup();
      stopTailIndexing();
      await (await server.catch(() => undefined))?.close();
      await link?.stop();
      await agent.close(); // waits for the batch in flight; takes no new one
    },
  };
}

/** AGENT_HTTP_PORT: GET /status, GET /metrics, POST /sync on 127.0.0.1 (status-server.ts). */
function startLocalEndpoint(
  config: AgentConfig,
  agent: Agent,
  cycles: () => number,
  log: Logger,
): Promise<StatusServer | undefined> {
  if (config.AGENT_HTTP_PORT === undefined) return Promise.resolve(undefined);
  const started = startStatusServer(config.AGENT_HTTP_PORT, {
    status: () =>
      readAgentStatus(agent.db, config.SYNC_INTERVAL * 1000, Date.now(), { syncEnabled: config.SYNC_ENABLED }),
    cyclesTotal: cycles,
    syncNow: () => (config.SYNC_ENABLED ? agent.engine.runCycle() : Promise.reject(new SyncDisabledError())),
  });
  started.then(
    (s) =>
      log.info(
        { port: s.port },
        `status endpoint on http://127.0.0.1:${s.port} (GET /status, GET /metrics, POST /sync)`,
      ),
    (err: Error) => log.error({ err: err.message }, `status endpoint not started: ${err.message}`),
  );
  return started;
}
