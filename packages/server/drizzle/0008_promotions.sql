CREATE TABLE "campaign_codes" (
	"program_id" text NOT NULL,
	"code" text NOT NULL,
	"campaign_id" text NOT NULL,
	"customer_id" text,
	"max_uses" integer DEFAULT 1 NOT NULL,
	"used" integer DEFAULT 0 NOT NULL,
	"value" bigint,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "campaign_codes_program_id_code_pk" PRIMARY KEY("program_id","code")
);
--> statement-breakpoint
CREATE TABLE "campaign_counters" (
	"campaign_id" text NOT NULL,
	"customer_key" text NOT NULL,
	"period" text NOT NULL,
	"used" integer NOT NULL,
	CONSTRAINT "campaign_counters_campaign_id_customer_key_period_pk" PRIMARY KEY("campaign_id","customer_key","period")
);
--> statement-breakpoint
CREATE TABLE "campaign_redemptions" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"campaign_id" text NOT NULL,
	"campaign_version" integer NOT NULL,
	"code" text,
	"order_id" text NOT NULL,
	"customer_id" text,
	"customer_keys" text[] NOT NULL,
	"period" text,
	"discount" bigint NOT NULL,
	"points" bigint NOT NULL,
	"transaction_id" text,
	"counted" boolean NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"rolled_back_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "campaign_reservations" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"session_id" text NOT NULL,
	"campaign_id" text NOT NULL,
	"code" text,
	"customer_keys" text[] NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"code" text,
	"status" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"redeemed" integer DEFAULT 0 NOT NULL,
	"budget_money_used" bigint DEFAULT 0 NOT NULL,
	"budget_points_used" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cart_completions" (
	"program_id" text NOT NULL,
	"order_id" text NOT NULL,
	"request_hash" text NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"rolled_back_at" timestamp with time zone,
	CONSTRAINT "cart_completions_program_id_order_id_pk" PRIMARY KEY("program_id","order_id")
);
--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "margin_guard" jsonb;--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "campaigns_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "campaign_codes_campaign_idx" ON "campaign_codes" USING btree ("campaign_id","code");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_redemptions_order_uq" ON "campaign_redemptions" USING btree ("program_id","order_id","campaign_id");--> statement-breakpoint
CREATE INDEX "campaign_redemptions_campaign_idx" ON "campaign_redemptions" USING btree ("campaign_id","created_at");--> statement-breakpoint
CREATE INDEX "campaign_reservations_campaign_idx" ON "campaign_reservations" USING btree ("campaign_id","expires_at") WHERE ended_at is null;--> statement-breakpoint
CREATE INDEX "campaign_reservations_session_idx" ON "campaign_reservations" USING btree ("program_id","session_id");--> statement-breakpoint
CREATE INDEX "campaigns_program_idx" ON "campaigns" USING btree ("program_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "campaigns_code_uq" ON "campaigns" USING btree ("program_id","code") WHERE code is not null;