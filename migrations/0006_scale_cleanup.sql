CREATE TABLE `account_cleanup_jobs` (
	`user_id` text PRIMARY KEY NOT NULL,
	`step` text NOT NULL,
	`enqueued_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `account_cleanup_jobs_updated_idx` ON `account_cleanup_jobs` (`updated_at`);--> statement-breakpoint
DROP INDEX `users_deletion_due_idx`;--> statement-breakpoint
CREATE INDEX `users_deletion_due_idx` ON `users` (`account_deletion_status`,`account_deletion_scheduled_for`,`id`);--> statement-breakpoint
CREATE INDEX `media_prefix_jobs_enqueued_idx` ON `media_prefix_jobs` (`enqueued_at`);--> statement-breakpoint
CREATE INDEX `username_holds_user_idx` ON `username_holds` (`user_id`);