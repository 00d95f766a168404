-- `history` shows operator commands beside sync cycles: what each one did.
ALTER TABLE "sync_history" ADD COLUMN "detail" TEXT;
