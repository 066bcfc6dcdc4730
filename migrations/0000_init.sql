CREATE TABLE `account_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`event` text NOT NULL,
	`source` text NOT NULL,
	`platform` text,
	`app_version` text,
	`device_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `account_events_user_idx` ON `account_events` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `follows` (
	`follower_id` text NOT NULL,
	`followee_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`follower_id`, `followee_id`),
	FOREIGN KEY (`follower_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`followee_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `follows_followee_idx` ON `follows` (`followee_id`);--> statement-breakpoint
CREATE TABLE `live_streams` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`title` text,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `live_streams_user_idx` ON `live_streams` (`user_id`);--> statement-breakpoint
CREATE TABLE `media_outbox` (
	`key` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`enqueued_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `media_outbox_enqueued_idx` ON `media_outbox` (`enqueued_at`);--> statement-breakpoint
CREATE TABLE `user_counters` (
	`user_id` text PRIMARY KEY NOT NULL,
	`followers_count` integer DEFAULT 0 NOT NULL,
	`following_count` integer DEFAULT 0 NOT NULL,
	`live_streams_count` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text,
	`username_changed_at` integer,
	`name` text,
	`surname` text,
	`email` text,
	`availability_status` text DEFAULT 'available' NOT NULL,
	`country_code` text,
	`phone_number` text,
	`gender` text,
	`birth_date` integer,
	`interests` text DEFAULT '[]' NOT NULL,
	`expertise` text,
	`bio` text,
	`instagram` text,
	`tiktok` text,
	`x` text,
	`snapchat` text,
	`facebook` text,
	`privacy_policy_accepted` integer DEFAULT false NOT NULL,
	`privacy_policy_version` text,
	`terms_of_use_accepted` integer DEFAULT false NOT NULL,
	`terms_of_use_version` text,
	`consent_form_accepted` integer DEFAULT false NOT NULL,
	`consent_form_version` text,
	`is_registration_complete` integer DEFAULT false NOT NULL,
	`roles` text DEFAULT '["user"]' NOT NULL,
	`profile_photo_id` text,
	`profile_photo_key` text,
	`last_login` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`account_deletion_status` text,
	`account_deletion_reason` text,
	`account_deletion_requested_at` integer,
	`account_deletion_scheduled_for` integer,
	`account_deletion_cancelled_at` integer,
	`account_deletion_finalized_at` integer,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_lower_unique` ON `users` (lower("email"));--> statement-breakpoint
CREATE INDEX `users_deletion_due_idx` ON `users` (`account_deletion_status`,`account_deletion_scheduled_for`);