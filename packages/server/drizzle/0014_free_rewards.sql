ALTER TABLE "redemptions" ALTER COLUMN "transaction_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "redemptions" ADD COLUMN "reference" text;--> statement-breakpoint
CREATE UNIQUE INDEX "redemptions_reference_uq" ON "redemptions" USING btree ("program_id","reference") WHERE reference is not null;--> statement-breakpoint
-- Rewards that full stamp cards gave before this migration get their business key too.
UPDATE "redemptions" r SET "reference" = 'stamps:' || c."card_id" || ':completion:' || c."customer_id" || ':' || c."sequence"
  FROM "stamp_completions" c WHERE c."redemption_id" = r."id" AND r."reference" IS NULL;
