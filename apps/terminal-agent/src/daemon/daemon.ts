import type { AgentConfig } from "../config";
import { scheduleDailyCleanup } from "../housekeeping/daily-cleanup";
import type { CentralTransport } from "../transport/central-transport";
import { startSocketLink, type SocketLink } from "../transport/socket-link";
import { createAgent, type Agent } from "./agent";
import { cleanupLine, logEngineEvents, startupSyncLine } from "./daemon-log";
import { transportFromConfig, type EngineOverrides } from "./from-config";
import { HeartbeatSender } from "./heartbeat";

export interface DaemonOptions {
  /** Where the daemon's lines go (the `start` command: stdout). */
  log?: (line: string) => void;
  /** Defaults to HTTP from the config; shared by the engine and the heartbeat. */
  transport?: CentralTransport;
  engine?: EngineOverrides;
}

export interface Daemon {
  agent: Agent;
  link: SocketLink;
  heartbeat: HeartbeatSender;
  /** Takes no new batch, finishes the one in flight, closes the link and the database. */
  stop(): Promise<void>;
}

/**
 * The running agent (`tillsync-agent start`), assembled in one place: the engine on its
 * timers with the startup sync, the socket link to central (triggers, emergency stop), the
 * heartbeat, the daily outbox cleanup, and the log lines of each. Without the link or with
 * central down, the engine still syncs on its interval and backoff timers.
 */
export function startDaemon(config: AgentConfig, opts: DaemonOptions = {}): Daemon {
  const log = opts.log ?? (() => undefined);
  const transport = opts.transport ?? transportFromConfig(config);
  const agent = createAgent(config, transport, opts.engine);
  logEngineEvents(agent.engine, log);
  // Timers first: a failing startup sync is retried by the engine's backoff timer.
  agent.engine.start();
  void agent.engine.runCycle().then((first) => log(startupSyncLine(first)));
  const heartbeat = new HeartbeatSender(transport, agent, config.HEARTBEAT_INTERVAL_MS, log).start();
  const link = startSocketLink(agent, config, { heartbeat, log });
  const stopCleanup = scheduleDailyCleanup(
    agent.db,
    { retentionDays: config.OUTBOX_RETENTION_DAYS, hour: config.OUTBOX_CLEANUP_HOUR },
    (r) => log(cleanupLine(r)),
  );
  log("running");
  return {
    agent,
    link,
    heartbeat,
    async stop() {
      heartbeat.stop();
      stopCleanup();
      await link.stop();
      await agent.close(); // waits for the batch in flight; takes no new one
    },
  };
}
