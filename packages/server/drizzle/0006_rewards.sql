CREATE TABLE "redemptions" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"reward_id" text NOT NULL,
	"reward" jsonb NOT NULL,
	"points" bigint NOT NULL,
	"status" text NOT NULL,
	"code" text,
	"partner_code" text,
	"fulfilment" text,
	"transaction_id" text NOT NULL,
	"return_transaction_id" text,
	"used_order_id" text,
	"used_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reward_pool_codes" (
	"reward_id" text NOT NULL,
	"code" text NOT NULL,
	"redemption_id" text,
	"uploaded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "reward_pool_codes_reward_id_code_pk" PRIMARY KEY("reward_id","code")
);
--> statement-breakpoint
CREATE TABLE "rewards" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"kind" text NOT NULL,
	"config" jsonb NOT NULL,
	"cost" bigint NOT NULL,
	"min_order" bigint,
	"valid_days" integer,
	"active_from" timestamp with time zone,
	"active_to" timestamp with time zone,
	"stock" integer,
	"issued" integer NOT NULL,
	"per_customer" jsonb,
	"condition" text,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "redemptions_code_uq" ON "redemptions" USING btree ("program_id","code");--> statement-breakpoint
CREATE INDEX "redemptions_customer_idx" ON "redemptions" USING btree ("program_id","customer_id","created_at");--> statement-breakpoint
CREATE INDEX "redemptions_reward_idx" ON "redemptions" USING btree ("reward_id");--> statement-breakpoint
CREATE INDEX "redemptions_used_order_idx" ON "redemptions" USING btree ("used_order_id") WHERE used_order_id is not null;--> statement-breakpoint
CREATE INDEX "reward_pool_codes_free_idx" ON "reward_pool_codes" USING btree ("reward_id","code") WHERE redemption_id is null;--> statement-breakpoint
CREATE INDEX "rewards_program_idx" ON "rewards" USING btree ("program_id","status");