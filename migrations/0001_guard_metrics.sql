CREATE TABLE `metric_batches` (
	`id` text PRIMARY KEY NOT NULL,
	`env_key` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `metrics_minute` (
	`env_key` text NOT NULL,
	`flag_key` text NOT NULL,
	`minute` integer NOT NULL,
	`canary_exposures` integer DEFAULT 0 NOT NULL,
	`canary_errors` integer DEFAULT 0 NOT NULL,
	`control_exposures` integer DEFAULT 0 NOT NULL,
	`control_errors` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`env_key`, `flag_key`, `minute`)
);
