-- The ledger is append-only: corrections are reversal transactions, never edits of history.
-- The database itself refuses UPDATE, DELETE and TRUNCATE on ledger rows, whatever the code does.
CREATE OR REPLACE FUNCTION patron_ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION patron_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION patron_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION patron_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
  FOR EACH STATEMENT EXECUTE FUNCTION patron_ledger_append_only();
--> statement-breakpoint
-- Belt and braces for the invariants the code keeps.
ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_amount_positive CHECK (amount > 0);
--> statement-breakpoint
ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_distinct_accounts CHECK (source <> destination);
--> statement-breakpoint
ALTER TABLE account_balances ADD CONSTRAINT account_balances_pending_not_negative CHECK (pending >= 0);
--> statement-breakpoint
ALTER TABLE lots ADD CONSTRAINT lots_remaining_in_range CHECK (remaining >= 0 AND remaining <= amount);
