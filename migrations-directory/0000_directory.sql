CREATE TABLE `emails` (
	`email_hash` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`claimed_at` integer NOT NULL,
	`pending_since` integer
);
--> statement-breakpoint
CREATE INDEX `emails_user_idx` ON `emails` (`user_id`);--> statement-breakpoint
CREATE INDEX `emails_pending_idx` ON `emails` (`pending_since`);--> statement-breakpoint
CREATE TABLE `username_holds` (
	`username` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`released_at` integer NOT NULL,
	`revertible` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `username_holds_released_idx` ON `username_holds` (`released_at`);--> statement-breakpoint
CREATE INDEX `username_holds_user_idx` ON `username_holds` (`user_id`);--> statement-breakpoint
CREATE TABLE `usernames` (
	`username` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`claimed_at` integer NOT NULL,
	`pending_since` integer
);
--> statement-breakpoint
CREATE INDEX `usernames_user_idx` ON `usernames` (`user_id`);--> statement-breakpoint
CREATE INDEX `usernames_pending_idx` ON `usernames` (`pending_since`);