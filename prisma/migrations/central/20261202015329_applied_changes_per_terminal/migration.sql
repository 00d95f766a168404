-- DropIndex
DROP INDEX "applied_changes_terminal_id_idx";

-- AlterTable
ALTER TABLE "applied_changes" DROP CONSTRAINT "applied_changes_pkey",
ADD CONSTRAINT "applied_changes_pkey" PRIMARY KEY ("terminal_id", "change_id");
