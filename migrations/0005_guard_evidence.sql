CREATE TABLE `guard_evidence` (
	`env_key` text NOT NULL,
	`flag_key` text NOT NULL,
	`evidence` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`env_key`, `flag_key`)
);
