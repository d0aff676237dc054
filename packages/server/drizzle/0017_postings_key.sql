ALTER TABLE "ledger_postings" DROP CONSTRAINT "ledger_postings_pkey";--> statement-breakpoint
ALTER TABLE "ledger_postings" ADD CONSTRAINT "ledger_postings_transaction_id_id_pk" PRIMARY KEY("transaction_id","id");--> statement-breakpoint
DROP INDEX "ledger_postings_txn_idx";
