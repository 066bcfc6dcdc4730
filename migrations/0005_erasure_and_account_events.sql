CREATE TABLE `account_event_outbox` (
	`event_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`type` text NOT NULL,
	`source` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`payload` text,
	`sent_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `account_event_outbox_user_sequence_unique` ON `account_event_outbox` (`user_id`,`sequence`);--> statement-breakpoint
CREATE INDEX `account_event_outbox_unsent_idx` ON `account_event_outbox` (`sent_at`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `media_prefix_jobs` (
	`prefix` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`enqueued_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `media_prefix_jobs_user_idx` ON `media_prefix_jobs` (`user_id`);--> statement-breakpoint
CREATE TABLE `media_sweep_cursors` (
	`prefix` text PRIMARY KEY NOT NULL,
	`cursor` text,
	`updated_at` integer NOT NULL
);
