-- AlterTable
ALTER TABLE "applied_changes" ADD COLUMN     "version" INTEGER;
