ALTER TABLE `flags` ADD `client_side` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- Flags that existed before this migration stay visible to client keys, as they were; new flags start hidden.
UPDATE `flags` SET `client_side` = true;
