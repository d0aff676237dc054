-- Ingest spends a rule's global budget without holding its row for the whole transaction: it reads
-- the budget unlocked, decides, and adds what it spent in its write statement only where the sum
-- stays within the budget (rule-counters.ts, budgetCte). This function makes that write fail when a
-- concurrent transaction spent part of the budget first and a row was not updated, so the
-- transaction rolls back and ingest runs it again with the budget row locked (ingest-events.ts).
CREATE FUNCTION patron_budget_check(expected integer, updated bigint) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  IF updated < expected THEN
    RAISE EXCEPTION 'a rule budget was spent by a concurrent transaction' USING ERRCODE = 'PB001';
  END IF;
  RETURN 1;
END
$$;
