CREATE TABLE "minute_counts" (
	"env_key" text NOT NULL,
	"flag_key" text NOT NULL,
	"minute" bigint NOT NULL,
	"arm" text NOT NULL,
	"metric" text NOT NULL,
	"count" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "minute_counts_env_key_flag_key_minute_arm_metric_pk" PRIMARY KEY("env_key","flag_key","minute","arm","metric")
);
--> statement-breakpoint
-- Today's minute rows, one wide row per minute, become one long row per counter (nothing dropped).
INSERT INTO "minute_counts" ("env_key", "flag_key", "minute", "arm", "metric", "count")
SELECT "env_key", "flag_key", "minute", 'canary', 'exposures', "canary_exposures" FROM "metrics_minute"
UNION ALL
SELECT "env_key", "flag_key", "minute", 'canary', 'errors', "canary_errors" FROM "metrics_minute"
UNION ALL
SELECT "env_key", "flag_key", "minute", 'control', 'exposures', "control_exposures" FROM "metrics_minute"
UNION ALL
SELECT "env_key", "flag_key", "minute", 'control', 'errors', "control_errors" FROM "metrics_minute";
