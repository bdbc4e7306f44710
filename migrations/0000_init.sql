CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`env_key` text,
	`hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`env_key`) REFERENCES `environments`(`key`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_env` ON `api_keys` (`env_key`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`flag_key` text,
	`env_key` text,
	`version` integer,
	`before` text,
	`after` text,
	`details` text
);
--> statement-breakpoint
CREATE INDEX `audit_flag` ON `audit_log` (`flag_key`,`id`);--> statement-breakpoint
CREATE INDEX `audit_env` ON `audit_log` (`env_key`,`id`);--> statement-breakpoint
CREATE TABLE `change_log` (
	`env_key` text NOT NULL,
	`version` integer NOT NULL,
	`at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	`change` text NOT NULL,
	PRIMARY KEY(`env_key`, `version`),
	FOREIGN KEY (`env_key`) REFERENCES `environments`(`key`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `environments` (
	`key` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `flag_states` (
	`flag_key` text NOT NULL,
	`env_key` text NOT NULL,
	`enabled` integer DEFAULT false NOT NULL,
	`salt` text NOT NULL,
	`stickiness` text DEFAULT 'userId' NOT NULL,
	`cohorts` text DEFAULT '[]' NOT NULL,
	`guard` text,
	`plan` text,
	`version` integer NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`flag_key`, `env_key`),
	FOREIGN KEY (`flag_key`) REFERENCES `flags`(`key`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`env_key`) REFERENCES `environments`(`key`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `flags` (
	`key` text PRIMARY KEY NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`archived_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `segments` (
	`env_key` text NOT NULL,
	`key` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`user_ids` text DEFAULT '[]' NOT NULL,
	`conditions` text DEFAULT '[]' NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`env_key`, `key`),
	FOREIGN KEY (`env_key`) REFERENCES `environments`(`key`) ON UPDATE no action ON DELETE cascade
);
