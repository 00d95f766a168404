import { Priority, type PushResult } from "@tillsync/shared";
import {
  toPushChange,
  type OutboxRow,
  type OutboxStore,
  type PushOutcome,
  type RejectRetry,
} from "../outbox/outbox-store";
import type { CentralTransport } from "../transport/central-transport";
import type { UrgentSignal } from "./urgent-signal";

/**
 * Pushes the outbox with up to BATCHES_IN_FLIGHT batches sent and not yet answered, so the
 * agent's SQLite work (claiming the next batch, recording the last answer) and central's
 * transaction overlap instead of taking turns. Safe for causality because each batch is
 * chosen clear of the rows in flight and their families (OutboxStore.claimBatch with
 * `inFlight`): no change of a row, of a child under it or of its parent goes beside a batch
 * that holds that row, so central may apply the two in either order. Answers are recorded
 * in the order the batches were sent; nothing is marked SYNCED that central did not answer.
 *
 * CRITICAL first, also under load (SPEC §7): a sale never rides in a batch of lower bands
 * (alone its batch is a few rows, which central answers in milliseconds, where a full batch
 * of a backlog takes a hundred), and a sale committed while both batches are unanswered goes
 * out at once as one more batch (the lane: `urgent`), chosen clear of both like any other.
 */

/** Two: one at central while the agent records the other's answer and claims the next. */
export const BATCHES_IN_FLIGHT = 2;
/** At most one CRITICAL batch beside them. */
const LANE_BATCHES = 1;

export interface PipelineDeps {
  outbox: Pick<OutboxStore, "claimBatch" | "hasReady" | "release" | "recordResults" | "atomically">;
  transport: Pick<CentralTransport, "push">;
  batchSize: number;
  minPriority: number;
  rejectRetry: RejectRetry;
  /** Asked before each new batch: false once the cycle's push slice is over or the engine stops. */
  mayClaim(): boolean;
  /** Told what each answered batch moved, in the order the batches were sent. */
  onOutcome(o: PushOutcome): void;
  /** Raised when the till commits a CRITICAL change; absent, sales wait for a free slot. */
  urgent?: UrgentSignal;
}

interface Sent {
  batch: OutboxRow[];
  answer: Promise<PushResult[]>;
}

/** Lets a request just started reach its socket before the synchronous SQLite work that follows. */
const yieldToSocket = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Pushes until the outbox has nothing ready (or mayClaim says stop). A failed push releases
 * its own batch (back to PENDING) and no new batch is taken; the batch still in flight beside
 * it is awaited and recorded (or released), then the first error is thrown. An answer is
 * recorded and the next batch claimed in one transaction: one commit of the till's file per
 * batch instead of two.
 */
export async function pushPipelined(deps: PipelineDeps): Promise<void> {
  const flight: Sent[] = [];
  let failure: { err: unknown } | undefined;
  const mayTake = (lane = false) =>
    !failure && flight.length < BATCHES_IN_FLIGHT + (lane ? LANE_BATCHES : 0) && deps.mayClaim();
  const take = (lane = false) =>
    claimNext(
      deps,
      flight.flatMap((s) => s.batch),
      lane,
    );
  // Sent only once the claim committed: a batch whose marks rolled back never leaves.
  const send = (batch: OutboxRow[]) => {
    if (batch.length === 0) return;
    const answer = deps.transport.push(batch.map(toPushChange));
    answer.catch(() => undefined); // observed when its turn comes; no unhandled rejection meanwhile
    flight.push({ batch, answer });
  };
  const claimAlone = (lane = false) => {
    if (!mayTake(lane)) return;
    try {
      send(take(lane));
    } catch (err) {
      // Thrown only after the batch in flight is settled: its answer must still be recorded.
      failure ??= { err };
    }
  };
  const settle = async ({ batch, answer }: Sent) => {
    let results: PushResult[];
    try {
      results = await answer;
    } catch (err) {
      deps.outbox.release(batch.map((r) => r.id));
      failure ??= { err };
      return;
    }
    let next: OutboxRow[] = [];
    try {
      const outcome = deps.outbox.atomically(() => {
        const o = deps.outbox.recordResults(batch, results, deps.rejectRetry);
        if (mayTake()) next = take();
        return o;
      });
      deps.onOutcome(outcome);
    } catch (err) {
      // Left SYNCING, as a single push left it: the engine puts such rows back before the next batch.
      next = [];
      failure ??= { err };
    }
    send(next);
  };
  claimAlone();
  while (flight.length > 0) {
    if (flight.length < BATCHES_IN_FLIGHT) {
      await yieldToSocket();
      claimAlone();
    }
    // Until the oldest batch is answered, each raise of `urgent` may send a CRITICAL batch.
    if (deps.urgent) await whileUnanswered(flight[0]!, deps.urgent, () => claimAlone(true));
    await settle(flight.shift()!);
  }
  if (failure) throw failure.err;
}

/** Resolves once `head` is answered (or failed); each raise of `urgent` meanwhile calls onRaise. */
async function whileUnanswered(head: Sent, urgent: UrgentSignal, onRaise: () => void): Promise<void> {
  const answered = head.answer.then(
    () => true,
    () => true,
  );
  while (!(await Promise.race([answered, urgent.wait().then(() => false)]))) onRaise();
}

/**
 * The next batch beside those in flight: the ready sales alone while there are any, the lane's
 * batch (`lane`) only sales. The sales' claim is empty when each waits on a family in flight;
 * the other bands then go on meanwhile.
 */
function claimNext(deps: PipelineDeps, inFlight: OutboxRow[], lane: boolean): OutboxRow[] {
  const { outbox, batchSize, minPriority } = deps;
  // Nothing ready: no claim, so no IMMEDIATE transaction (a write lock and a commit of the
  // till's file) for a cycle a price change triggered on a till with nothing to send. The
  // plain read is enough to say "nothing": a row committed after it is the data_version poll's
  // (sync-engine.ts), and any batch still goes through claimBatch's locked read and mark (G1).
  if (!outbox.hasReady(lane ? Priority.CRITICAL : minPriority)) return [];
  if (lane || (minPriority < Priority.CRITICAL && outbox.hasReady(Priority.CRITICAL))) {
    const sales = outbox.claimBatch(batchSize, Priority.CRITICAL, inFlight);
    if (sales.length > 0 || lane) return sales;
  }
  return outbox.claimBatch(batchSize, minPriority, inFlight);
}
