CREATE TABLE "guard_counts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "guard_counts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"env_key" text NOT NULL,
	"flag_key" text NOT NULL,
	"source" text NOT NULL,
	"at" bigint NOT NULL,
	"canary_exposures" double precision NOT NULL,
	"canary_errors" double precision NOT NULL,
	"control_exposures" double precision NOT NULL,
	"control_errors" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "guard_evidence" (
	"env_key" text NOT NULL,
	"flag_key" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"updated_at" bigint NOT NULL,
	CONSTRAINT "guard_evidence_env_key_flag_key_pk" PRIMARY KEY("env_key","flag_key")
);
--> statement-breakpoint
CREATE TABLE "replica_connections" (
	"replica_id" text PRIMARY KEY NOT NULL,
	"connections" jsonb NOT NULL,
	"heartbeat_at" bigint NOT NULL
);
