CREATE TABLE "change_requests" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "change_requests_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"env_key" text NOT NULL,
	"flag_key" text NOT NULL,
	"author" text NOT NULL,
	"change" jsonb NOT NULL,
	"diff" jsonb NOT NULL,
	"base_version" integer NOT NULL,
	"approvals_required" integer NOT NULL,
	"status" text NOT NULL,
	"approvals" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"comments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"apply_at" bigint,
	"decided_by" text,
	"applied_version" integer,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "approvals" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "change_requests" ADD CONSTRAINT "change_requests_env_key_environments_key_fk" FOREIGN KEY ("env_key") REFERENCES "public"."environments"("key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_requests_status" ON "change_requests" USING btree ("status","apply_at");--> statement-breakpoint
CREATE INDEX "change_requests_flag" ON "change_requests" USING btree ("env_key","flag_key","id");