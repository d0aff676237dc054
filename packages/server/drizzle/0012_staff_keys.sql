ALTER TABLE "staff_members" ADD COLUMN "key_hash" text;--> statement-breakpoint
CREATE UNIQUE INDEX "staff_members_key_uq" ON "staff_members" USING btree ("key_hash") WHERE key_hash is not null;