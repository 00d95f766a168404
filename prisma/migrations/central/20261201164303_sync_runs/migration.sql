-- CreateTable
CREATE TABLE "sync_runs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "type" TEXT NOT NULL,
    "sync_type" TEXT NOT NULL,
    "schedule_id" TEXT,
    "requested_by" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    "outcome" TEXT NOT NULL DEFAULT 'RUNNING',
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "attempt_started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "attempt_timeout_s" INTEGER NOT NULL,

    CONSTRAINT "sync_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_run_terminals" (
    "run_id" UUID NOT NULL,
    "terminal_id" UUID NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'TRIGGERED',
    "trigger_at" TIMESTAMPTZ(3) NOT NULL,
    "acked_at" TIMESTAMPTZ(3),
    "pushed" INTEGER NOT NULL DEFAULT 0,
    "pulled" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,

    CONSTRAINT "sync_run_terminals_pkey" PRIMARY KEY ("run_id","terminal_id")
);

-- CreateIndex
CREATE INDEX "sync_runs_schedule_id_started_at_idx" ON "sync_runs"("schedule_id", "started_at");

-- CreateIndex
CREATE INDEX "sync_runs_started_at_idx" ON "sync_runs"("started_at");

-- CreateIndex
CREATE INDEX "sync_run_terminals_terminal_id_state_idx" ON "sync_run_terminals"("terminal_id", "state");

-- AddForeignKey
ALTER TABLE "sync_run_terminals" ADD CONSTRAINT "sync_run_terminals_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "sync_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
