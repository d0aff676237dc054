CREATE TABLE "customer_order_stats" (
	"program_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"orders" integer NOT NULL,
	"spend" bigint NOT NULL,
	"first_at" timestamp with time zone,
	"last_at" timestamp with time zone,
	CONSTRAINT "customer_order_stats_program_id_customer_id_pk" PRIMARY KEY("program_id","customer_id")
);
--> statement-breakpoint
-- The orders recorded before this migration, in aggregate (what ingest keeps up to date from now on).
INSERT INTO "customer_order_stats" ("program_id", "customer_id", "orders", "spend", "first_at", "last_at")
SELECT "program_id", "customer_id", count(*)::int, coalesce(sum("total" - "refunded_amount"), 0), min("placed_at"), max("placed_at")
  FROM "orders" GROUP BY "program_id", "customer_id";
