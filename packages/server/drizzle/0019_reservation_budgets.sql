-- A checkout session's hold of a budgeted campaign keeps what the held use would take of the budget
-- (the discount, the bonus points), so other sessions count it as spent: two sessions could each hold
-- the last of a money budget and the second was refused at completion.
ALTER TABLE "campaign_reservations" ADD COLUMN "money" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "campaign_reservations" ADD COLUMN "points" bigint DEFAULT 0 NOT NULL;