CREATE TABLE `minute_counts` (
	`env_key` text NOT NULL,
	`flag_key` text NOT NULL,
	`minute` integer NOT NULL,
	`arm` text NOT NULL,
	`metric` text NOT NULL,
	`count` real DEFAULT 0 NOT NULL,
	PRIMARY KEY(`env_key`, `flag_key`, `minute`, `arm`, `metric`)
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
