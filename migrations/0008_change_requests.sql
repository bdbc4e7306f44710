CREATE TABLE `change_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`env_key` text NOT NULL,
	`flag_key` text NOT NULL,
	`author` text NOT NULL,
	`change` text NOT NULL,
	`diff` text NOT NULL,
	`base_version` integer NOT NULL,
	`approvals_required` integer NOT NULL,
	`status` text NOT NULL,
	`approvals` text DEFAULT '[]' NOT NULL,
	`comments` text DEFAULT '[]' NOT NULL,
	`apply_at` integer,
	`decided_by` text,
	`applied_version` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`env_key`) REFERENCES `environments`(`key`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `change_requests_status` ON `change_requests` (`status`,`apply_at`);--> statement-breakpoint
CREATE INDEX `change_requests_flag` ON `change_requests` (`env_key`,`flag_key`,`id`);--> statement-breakpoint
ALTER TABLE `environments` ADD `approvals` integer DEFAULT 0 NOT NULL;