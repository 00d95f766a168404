import {
  DEFAULT_SYNC_POLICY,
  feedTables,
  ledgerTables,
  Priority,
  type SyncPolicy,
  type SyncTable,
} from "@tillsync/shared";
import type { PushOutcome, RejectRetry } from "../outbox/outbox-store";
import type { CentralTransport } from "../transport/central-transport";
import { pushPipelined, type PipelineDeps } from "./push-pipeline";
import type { UrgentSignal } from "./urgent-signal";

/**
 * The CRITICAL push that runs beside a cycle's pull (state pulling-with-sales), so a sale
 * committed while the pull runs goes out at once instead of after it: a pull brings back the
 * till's own echo after every push slice, and a head office's 50k-row price list takes long.
 *
 * Why a page stays right although it may be read at central before, during or after such a
 * push: a pulled page is only written as "central's row + this till's unconfirmed changes"
 * (G4: apply-central-row.ts, ledger-counters.ts), which holds only if the page was read after
 * every change it could reflect was confirmed, or before it was sent and written while it is
 * still unconfirmed. The lane's sales (orders, lines, payments) are pushed by terminals only:
 * central's feed never carries them, and they move no counter, so no page reflects them and
 * the page's arithmetic cannot see them. A change the feed could reflect (a table central
 * sends, or a ledger whose counter it sends: a policy that made adjustments CRITICAL) is
 * different: a page whose request or write overlapped a lane session that sent one is not
 * written (`overlapped`); the engine drops it, lets the lane finish, and reads the page again
 * with the lane held (`quiet`), which is the order a cycle's push and pull always had.
 */
export interface SalesLaneDeps {
  outbox: PipelineDeps["outbox"];
  transport: Pick<CentralTransport, "push">;
  batchSize: number;
  rejectRetry: RejectRetry;
  /** Raised by the engine's data_version poll when the till commits a CRITICAL change. */
  urgent: UrgentSignal;
  /** False once the engine stops: the batch in flight is answered and recorded, no new one taken. */
  mayClaim(): boolean;
  onOutcome(o: PushOutcome): void;
  /** Asks the state machine (SALES); false when the push may not start now (paused, held, stopped). */
  open(): boolean;
  /** The push has nothing left and every answer is recorded (SALES_PUSHED); not called after a failure. */
  closed(): void;
  policy?: SyncPolicy;
}

/** What a page request saw of the lane when it was sent (see overlapped). */
export interface LaneMark {
  reflectedSends: number;
  reflecting: boolean;
}

export class SalesLane {
  private session: Promise<void> | undefined;
  private failure: { err: unknown } | undefined;
  private readonly failed: Promise<void>;
  private onFailed: () => void = () => undefined;
  private ended = false;
  private held = false;
  /** Batches sent so far that carried a change the feed could reflect, and whether the running session sent one. */
  private reflectedSends = 0;
  private reflecting = false;
  private readonly transport: Pick<CentralTransport, "push">;

  constructor(private readonly deps: SalesLaneDeps) {
    this.failed = new Promise((resolve) => (this.onFailed = resolve));
    const reflected = feedReflected(deps.policy ?? DEFAULT_SYNC_POLICY);
    this.transport = {
      push: (changes) => {
        if (changes.some((c) => reflected.has(c.entityType))) {
          this.reflecting = true;
          this.reflectedSends++;
        }
        return deps.transport.push(changes);
      },
    };
  }

  /** Starts the push when a CRITICAL change is ready and none runs; one query when idle. */
  open(): void {
    if (this.session || this.ended || this.held || this.failure || !this.deps.mayClaim()) return;
    if (!this.deps.outbox.hasReady(Priority.CRITICAL) || !this.deps.open()) return;
    const run = pushPipelined({
      outbox: this.deps.outbox,
      transport: this.transport,
      batchSize: this.deps.batchSize,
      minPriority: Priority.CRITICAL,
      rejectRetry: this.deps.rejectRetry,
      mayClaim: () => !this.ended && !this.held && this.deps.mayClaim(),
      urgent: this.deps.urgent,
      onOutcome: (o) => this.deps.onOutcome(o),
    });
    this.session = run.then(
      () => {
        this.session = undefined;
        this.reflecting = false;
        this.deps.closed();
      },
      (err: unknown) => {
        this.session = undefined;
        this.reflecting = false;
        this.failure = { err };
        this.onFailed();
      },
    );
  }

  /**
   * Awaits `request` (a page, the acknowledgement), opening the lane whenever the till commits
   * a sale meanwhile; throws the lane's failure at once (a lost answer must fail the cycle
   * before any page is written, as a failed push always did).
   */
  async during<T>(request: Promise<T>): Promise<T> {
    const settled = request.then(
      () => true,
      () => true,
    );
    this.open();
    while (!this.failure && !(await Promise.race([settled, this.deps.urgent.wait().then(() => false), this.failed])))
      this.open();
    if (this.failure) throw this.failure.err;
    return request;
  }

  mark(): LaneMark {
    return { reflectedSends: this.reflectedSends, reflecting: this.reflecting };
  }

  /**
   * Whether a page requested at `m` and written now may reflect a lane change its arithmetic
   * cannot place: one was in flight or unrecorded when the request went, or sent since.
   */
  overlapped(m: LaneMark): boolean {
    return m.reflecting || this.reflecting || m.reflectedSends !== this.reflectedSends;
  }

  /** Holds the lane (no new session, no new batch) and waits until the running one is recorded. */
  async quiet(): Promise<void> {
    this.held = true;
    await this.session;
    if (this.failure) throw this.failure.err;
  }

  /** Lets the lane run again after quiet(), and starts it when a sale waits. */
  resume(): void {
    this.held = false;
    this.open();
  }

  /** No new batch; resolves once the batch in flight is answered and recorded, or throws the lane's failure. */
  async close(): Promise<void> {
    this.ended = true;
    await this.session;
    if (this.failure) throw this.failure.err;
  }
}

/** Per policy: a lane is made for every cycle, a thousand a second in a fan-out. */
const reflectedByPolicy = new WeakMap<SyncPolicy, ReadonlySet<SyncTable>>();

/** Tables whose changes a pulled page can reflect: central feeds them, or they move a counter it feeds. */
function feedReflected(policy: SyncPolicy): ReadonlySet<SyncTable> {
  let tables = reflectedByPolicy.get(policy);
  if (!tables) {
    tables = new Set([...feedTables(policy), ...ledgerTables(policy)].map((p) => p.table));
    reflectedByPolicy.set(policy, tables);
  }
  return tables;
}
