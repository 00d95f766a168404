/** The agent is stopping (SIGTERM): a recovery stops between pages and batches, and starts again at the next cycle. */
export class FeedRecoveryInterrupted extends Error {
  constructor(what = "feed recovery") {
    super(`stopped during ${what}; it starts again at the next cycle`);
    this.name = "FeedRecoveryInterrupted";
  }
}
