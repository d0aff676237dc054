CREATE TABLE "job_runs" (
	"program_id" text NOT NULL,
	"job" text NOT NULL,
	"run_key" text NOT NULL,
	"ran_at" timestamp with time zone NOT NULL,
	CONSTRAINT "job_runs_program_id_job_run_key_pk" PRIMARY KEY("program_id","job","run_key")
);
--> statement-breakpoint
CREATE TABLE "rule_counters" (
	"program_id" text NOT NULL,
	"rule_id" text NOT NULL,
	"scope" text NOT NULL,
	"period" text NOT NULL,
	"awards" integer NOT NULL,
	"points" bigint NOT NULL,
	CONSTRAINT "rule_counters_program_id_rule_id_scope_period_pk" PRIMARY KEY("program_id","rule_id","scope","period")
);
--> statement-breakpoint
CREATE TABLE "rule_failures" (
	"program_id" text NOT NULL,
	"rule_id" text NOT NULL,
	"version" integer NOT NULL,
	"failures" integer NOT NULL,
	"last_error" text NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rule_failures_rule_id_version_pk" PRIMARY KEY("rule_id","version")
);
--> statement-breakpoint
CREATE TABLE "rule_versions" (
	"rule_id" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rule_versions_rule_id_version_pk" PRIMARY KEY("rule_id","version")
);
--> statement-breakpoint
CREATE TABLE "rules" (
	"id" text PRIMARY KEY NOT NULL,
	"program_id" text NOT NULL,
	"status" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "point_value" jsonb;--> statement-breakpoint
CREATE INDEX "rules_program_idx" ON "rules" USING btree ("program_id","status");