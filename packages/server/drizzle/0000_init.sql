CREATE TABLE "account_balances" (
	"program_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"asset" text NOT NULL,
	"available" bigint NOT NULL,
	"pending" bigint NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "account_balances_program_id_customer_id_asset_pk" PRIMARY KEY("program_id","customer_id","asset")
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"hash" text NOT NULL,
	"hint" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"reason" text,
	"data" jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"external_id" text,
	"email" text,
	"phone" text,
	"name" text,
	"birthday" date,
	"locale" text,
	"time_zone" text,
	"consent" jsonb NOT NULL,
	"attributes" jsonb NOT NULL,
	"tags" text[] NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"erased_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"external_id" text NOT NULL,
	"type" text NOT NULL,
	"name" text,
	"customer_id" text,
	"data" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"program_id" text NOT NULL,
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" integer,
	"response" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_program_id_scope_key_pk" PRIMARY KEY("program_id","scope","key")
);
--> statement-breakpoint
CREATE TABLE "ledger_postings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"transaction_id" text NOT NULL,
	"program_id" text NOT NULL,
	"source" text NOT NULL,
	"destination" text NOT NULL,
	"asset" text NOT NULL,
	"amount" bigint NOT NULL,
	"lot_id" text
);
--> statement-breakpoint
CREATE TABLE "ledger_transactions" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"type" text NOT NULL,
	"customer_id" text,
	"reference" text,
	"reverses_id" text,
	"source" jsonb,
	"metadata" jsonb NOT NULL,
	"effective_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lots" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"asset" text NOT NULL,
	"transaction_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"remaining" bigint NOT NULL,
	"pending" boolean NOT NULL,
	"pending_until" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_lines" (
	"order_id" text NOT NULL,
	"line_no" integer NOT NULL,
	"sku" text NOT NULL,
	"name" text,
	"category" text,
	"quantity" integer NOT NULL,
	"unit_price" bigint NOT NULL,
	"weight" bigint,
	"discount" bigint NOT NULL,
	"net" bigint NOT NULL,
	"refunded_quantity" integer NOT NULL,
	CONSTRAINT "order_lines_order_id_line_no_pk" PRIMARY KEY("order_id","line_no")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"external_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"currency" text NOT NULL,
	"subtotal" bigint NOT NULL,
	"discount" bigint NOT NULL,
	"shipping" bigint NOT NULL,
	"tax" bigint NOT NULL,
	"total" bigint NOT NULL,
	"earning_base" bigint NOT NULL,
	"weight" bigint NOT NULL,
	"channel" text,
	"store" text,
	"points_earned" bigint NOT NULL,
	"earn_lot_id" text,
	"refunded_amount" bigint NOT NULL,
	"points_clawed_back" bigint NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "programs" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"points_singular" text NOT NULL,
	"points_plural" text NOT NULL,
	"currency" text NOT NULL,
	"time_zone" text NOT NULL,
	"default_locale" text NOT NULL,
	"supported_locales" text[] NOT NULL,
	"default_country" text,
	"earning" jsonb NOT NULL,
	"ledger_policy" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"external_id" text NOT NULL,
	"order_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"points_clawed_back" bigint NOT NULL,
	"shortfall" bigint NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_program_id_programs_id_fk" FOREIGN KEY ("program_id") REFERENCES "public"."programs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_uq" ON "api_keys" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "api_keys_program_idx" ON "api_keys" USING btree ("program_id");--> statement-breakpoint
CREATE INDEX "audit_log_program_idx" ON "audit_log" USING btree ("program_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "customers_external_uq" ON "customers" USING btree ("program_id","external_id");--> statement-breakpoint
CREATE INDEX "customers_email_idx" ON "customers" USING btree ("program_id","email");--> statement-breakpoint
CREATE INDEX "customers_phone_idx" ON "customers" USING btree ("program_id","phone");--> statement-breakpoint
CREATE INDEX "customers_program_id_idx" ON "customers" USING btree ("program_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "events_external_uq" ON "events" USING btree ("program_id","external_id");--> statement-breakpoint
CREATE INDEX "events_customer_idx" ON "events" USING btree ("program_id","customer_id");--> statement-breakpoint
CREATE INDEX "ledger_postings_txn_idx" ON "ledger_postings" USING btree ("transaction_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_reference_uq" ON "ledger_transactions" USING btree ("program_id","reference");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_reverses_uq" ON "ledger_transactions" USING btree ("reverses_id");--> statement-breakpoint
CREATE INDEX "ledger_transactions_customer_idx" ON "ledger_transactions" USING btree ("program_id","customer_id","id");--> statement-breakpoint
CREATE INDEX "lots_customer_open_idx" ON "lots" USING btree ("program_id","customer_id","asset") WHERE remaining > 0;--> statement-breakpoint
CREATE INDEX "lots_due_expiry_idx" ON "lots" USING btree ("program_id","expires_at") WHERE remaining > 0;--> statement-breakpoint
CREATE INDEX "lots_due_release_idx" ON "lots" USING btree ("program_id","pending_until") WHERE pending and remaining > 0;--> statement-breakpoint
CREATE INDEX "order_lines_sku_idx" ON "order_lines" USING btree ("sku");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_external_uq" ON "orders" USING btree ("program_id","external_id");--> statement-breakpoint
CREATE INDEX "orders_customer_idx" ON "orders" USING btree ("program_id","customer_id","placed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_external_uq" ON "refunds" USING btree ("program_id","external_id");