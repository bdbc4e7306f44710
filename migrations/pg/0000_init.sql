CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"env_key" text,
	"hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL,
	"revoked_at" bigint,
	CONSTRAINT "api_keys_hash_unique" UNIQUE("hash")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"flag_key" text,
	"env_key" text,
	"version" integer,
	"before" jsonb,
	"after" jsonb,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "change_log" (
	"env_key" text NOT NULL,
	"version" integer NOT NULL,
	"at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL,
	"change" jsonb NOT NULL,
	CONSTRAINT "change_log_env_key_version_pk" PRIMARY KEY("env_key","version")
);
--> statement-breakpoint
CREATE TABLE "environments" (
	"key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "flag_states" (
	"flag_key" text NOT NULL,
	"env_key" text NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"salt" text NOT NULL,
	"stickiness" text DEFAULT 'userId' NOT NULL,
	"cohorts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"guard" jsonb,
	"plan" jsonb,
	"version" integer NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL,
	CONSTRAINT "flag_states_flag_key_env_key_pk" PRIMARY KEY("flag_key","env_key")
);
--> statement-breakpoint
CREATE TABLE "flags" (
	"key" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"client_side" boolean DEFAULT false NOT NULL,
	"archived_at" bigint,
	"created_at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metric_batches" (
	"id" text PRIMARY KEY NOT NULL,
	"env_key" text NOT NULL,
	"received_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metrics_minute" (
	"env_key" text NOT NULL,
	"flag_key" text NOT NULL,
	"minute" bigint NOT NULL,
	"canary_exposures" double precision DEFAULT 0 NOT NULL,
	"canary_errors" double precision DEFAULT 0 NOT NULL,
	"control_exposures" double precision DEFAULT 0 NOT NULL,
	"control_errors" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "metrics_minute_env_key_flag_key_minute_pk" PRIMARY KEY("env_key","flag_key","minute")
);
--> statement-breakpoint
CREATE TABLE "segments" (
	"env_key" text NOT NULL,
	"key" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"user_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"conditions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"version" integer NOT NULL,
	"updated_at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL,
	CONSTRAINT "segments_env_key_key_pk" PRIMARY KEY("env_key","key")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_env_key_environments_key_fk" FOREIGN KEY ("env_key") REFERENCES "public"."environments"("key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "change_log" ADD CONSTRAINT "change_log_env_key_environments_key_fk" FOREIGN KEY ("env_key") REFERENCES "public"."environments"("key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flag_states" ADD CONSTRAINT "flag_states_flag_key_flags_key_fk" FOREIGN KEY ("flag_key") REFERENCES "public"."flags"("key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flag_states" ADD CONSTRAINT "flag_states_env_key_environments_key_fk" FOREIGN KEY ("env_key") REFERENCES "public"."environments"("key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segments" ADD CONSTRAINT "segments_env_key_environments_key_fk" FOREIGN KEY ("env_key") REFERENCES "public"."environments"("key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_env" ON "api_keys" USING btree ("env_key");--> statement-breakpoint
CREATE INDEX "audit_flag" ON "audit_log" USING btree ("flag_key","id");--> statement-breakpoint
CREATE INDEX "audit_env" ON "audit_log" USING btree ("env_key","id");--> statement-breakpoint
CREATE INDEX "metric_batches_received" ON "metric_batches" USING btree ("received_at");