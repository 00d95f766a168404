-- AlterTable
ALTER TABLE "terminal_keys" ADD COLUMN     "expires_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "terminals" ADD COLUMN     "paused_at" TIMESTAMPTZ(3),
ADD COLUMN     "paused_by" TEXT,
ADD COLUMN     "paused_reason" TEXT;

-- CreateTable
CREATE TABLE "emergency_stop" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "stopped" BOOLEAN NOT NULL DEFAULT false,
    "since" TIMESTAMPTZ(3),
    "reason" TEXT,
    "stopped_by" TEXT,
    "resumed_at" TIMESTAMPTZ(3),
    "resumed_by" TEXT,

    CONSTRAINT "emergency_stop_pkey" PRIMARY KEY ("id")
);
