ALTER TABLE "job_runs" ADD COLUMN "result" jsonb;--> statement-breakpoint
ALTER TABLE "job_runs" ADD COLUMN "runs" integer DEFAULT 1 NOT NULL;