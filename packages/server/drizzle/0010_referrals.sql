CREATE TABLE "referral_clicks" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"code" text NOT NULL,
	"referrer_id" text NOT NULL,
	"ip" text,
	"device" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "referral_codes" (
	"program_id" text NOT NULL,
	"code" text NOT NULL,
	"display" text NOT NULL,
	"customer_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "referral_codes_program_id_code_pk" PRIMARY KEY("program_id","code")
);
--> statement-breakpoint
CREATE TABLE "referral_rewards" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"referral_id" text NOT NULL,
	"referrer_id" text NOT NULL,
	"order_id" text,
	"kind" text NOT NULL,
	"sequence" integer,
	"points" bigint NOT NULL,
	"bonus" bigint NOT NULL,
	"status" text NOT NULL,
	"available_at" timestamp with time zone,
	"transaction_ids" text[] NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "referrals" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"referrer_id" text NOT NULL,
	"friend_id" text NOT NULL,
	"code" text NOT NULL,
	"click_id" text,
	"status" text NOT NULL,
	"flags" text[] NOT NULL,
	"friend_code" text,
	"attributed_at" timestamp with time zone NOT NULL,
	"converted_at" timestamp with time zone,
	"reviewed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "referrals" jsonb;--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "referral_landing_url" text;--> statement-breakpoint
CREATE INDEX "referral_clicks_referrer_idx" ON "referral_clicks" USING btree ("program_id","referrer_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "referral_codes_customer_uq" ON "referral_codes" USING btree ("program_id","customer_id");--> statement-breakpoint
CREATE INDEX "referral_rewards_referrer_idx" ON "referral_rewards" USING btree ("program_id","referrer_id","created_at");--> statement-breakpoint
CREATE INDEX "referral_rewards_order_idx" ON "referral_rewards" USING btree ("program_id","order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "referrals_friend_uq" ON "referrals" USING btree ("program_id","friend_id");--> statement-breakpoint
CREATE INDEX "referrals_referrer_idx" ON "referrals" USING btree ("program_id","referrer_id","attributed_at");