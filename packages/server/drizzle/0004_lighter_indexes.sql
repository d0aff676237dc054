DROP INDEX "order_lines_sku_idx";--> statement-breakpoint
DROP INDEX "ledger_transactions_reverses_uq";--> statement-breakpoint
DROP INDEX "lots_due_expiry_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_reverses_uq" ON "ledger_transactions" USING btree ("reverses_id") WHERE reverses_id is not null;--> statement-breakpoint
CREATE INDEX "lots_due_expiry_idx" ON "lots" USING btree ("program_id","expires_at") WHERE remaining > 0 and expires_at is not null;--> statement-breakpoint
-- Rows updated in place on every event (the idempotency row gets its response, the balance its new
-- figures) leave room on their page, so the update stays a HOT update that touches no index.
ALTER TABLE "idempotency_keys" SET (fillfactor = 80);--> statement-breakpoint
ALTER TABLE "account_balances" SET (fillfactor = 70);
