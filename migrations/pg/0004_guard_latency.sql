ALTER TABLE "guard_counts" ADD COLUMN "canary_timed" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "guard_counts" ADD COLUMN "canary_slow" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "guard_counts" ADD COLUMN "control_timed" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "guard_counts" ADD COLUMN "control_slow" double precision DEFAULT 0 NOT NULL;