CREATE TABLE `webhook_secrets` (
	`env_key` text NOT NULL,
	`flag_key` text NOT NULL,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_until` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`env_key`, `flag_key`)
);
