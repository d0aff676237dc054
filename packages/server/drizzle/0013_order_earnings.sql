CREATE TABLE "order_earnings" (
	"program_id" text NOT NULL,
	"order_id" text NOT NULL,
	"asset" text NOT NULL,
	"earned" bigint NOT NULL,
	"lot_id" text,
	"clawed_back" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "order_earnings_order_id_asset_pk" PRIMARY KEY("order_id","asset"),
	CONSTRAINT "order_earnings_clawed_back_ck" CHECK (clawed_back >= 0 and clawed_back <= earned)
);
--> statement-breakpoint
ALTER TABLE "refunds" ADD COLUMN "wallet_clawed_back" jsonb DEFAULT '{}'::jsonb NOT NULL;