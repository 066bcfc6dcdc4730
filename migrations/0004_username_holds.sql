CREATE TABLE `username_holds` (
	`username` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`released_at` integer NOT NULL,
	`revertible` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `username_holds_released_idx` ON `username_holds` (`released_at`);