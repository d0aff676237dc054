CREATE TABLE "customer_tiers" (
	"program_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"tier" text,
	"since" timestamp with time zone NOT NULL,
	"review_at" timestamp with time zone,
	"source" text NOT NULL,
	"reason" text,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "customer_tiers_program_id_customer_id_pk" PRIMARY KEY("program_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "gift_cards" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"code" text NOT NULL,
	"currency" text NOT NULL,
	"initial_amount" bigint NOT NULL,
	"status" text NOT NULL,
	"customer_id" text,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payouts" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"status" text NOT NULL,
	"transaction_id" text NOT NULL,
	"settle_transaction_id" text,
	"reason" text,
	"requested_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone,
	"paid_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "staff_members" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"name" text NOT NULL,
	"store" text,
	"pin_hash" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stamp_cards" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"name" text NOT NULL,
	"definition" jsonb NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stamp_completions" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"card_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"sequence" integer NOT NULL,
	"transaction_id" text NOT NULL,
	"redemption_id" text,
	"completed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tier_changes" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"from_tier" text,
	"to_tier" text,
	"kind" text NOT NULL,
	"reason" text,
	"metric" bigint,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "tiers" jsonb;--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "wallet" jsonb;--> statement-breakpoint
CREATE INDEX "customer_tiers_review_idx" ON "customer_tiers" USING btree ("program_id","review_at") WHERE review_at is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "gift_cards_code_uq" ON "gift_cards" USING btree ("program_id","code");--> statement-breakpoint
CREATE INDEX "gift_cards_customer_idx" ON "gift_cards" USING btree ("program_id","customer_id");--> statement-breakpoint
CREATE INDEX "payouts_customer_idx" ON "payouts" USING btree ("program_id","customer_id","requested_at");--> statement-breakpoint
CREATE INDEX "payouts_status_idx" ON "payouts" USING btree ("program_id","status");--> statement-breakpoint
CREATE INDEX "staff_members_program_idx" ON "staff_members" USING btree ("program_id");--> statement-breakpoint
CREATE INDEX "stamp_cards_program_idx" ON "stamp_cards" USING btree ("program_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "stamp_completions_uq" ON "stamp_completions" USING btree ("program_id","card_id","customer_id","sequence");--> statement-breakpoint
CREATE INDEX "tier_changes_customer_idx" ON "tier_changes" USING btree ("program_id","customer_id","occurred_at");--> statement-breakpoint
-- Tier history is append-only like the ledger: a correction is a new change, never an edit.
CREATE TRIGGER tier_changes_append_only BEFORE UPDATE OR DELETE ON tier_changes
  FOR EACH ROW EXECUTE FUNCTION patron_ledger_append_only();
--> statement-breakpoint
-- A card is completed once per sequence number and a payout never moves a negative amount.
ALTER TABLE payouts ADD CONSTRAINT payouts_amount_positive CHECK (amount > 0);
--> statement-breakpoint
ALTER TABLE gift_cards ADD CONSTRAINT gift_cards_initial_positive CHECK (initial_amount > 0);
