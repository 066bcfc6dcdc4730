-- Hand-written: drizzle-kit cannot express WITHOUT ROWID (src/db/schema.ts declares the same
-- columns, primary key and index, so its snapshot stays true).
-- A follow edge is only its two ids and a time. As a rowid table it was stored three times: the
-- table by rowid, the composite primary key's own index, and the followee index. Keyed by the
-- primary key itself, the table is the (follower, followee) B-tree, and the followee index holds
-- (followee, follower) only: about 132 bytes an edge instead of 169 (BENCHMARKS.md, npm run bench:scale).
-- SQLite cannot change a table's storage in place, so the table is rebuilt and its triggers
-- (which go with the old table) recreated as 0001 and 0002 define them.
CREATE TABLE `follows_new` (
	`follower_id` text NOT NULL,
	`followee_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`follower_id`, `followee_id`),
	FOREIGN KEY (`follower_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`followee_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `follows_new` (`follower_id`, `followee_id`, `created_at`)
SELECT `follower_id`, `followee_id`, `created_at` FROM `follows`;
--> statement-breakpoint
DROP TABLE `follows`;
--> statement-breakpoint
ALTER TABLE `follows_new` RENAME TO `follows`;
--> statement-breakpoint
CREATE INDEX `follows_followee_idx` ON `follows` (`followee_id`);
--> statement-breakpoint
CREATE TRIGGER `follows_count_insert` AFTER INSERT ON `follows`
BEGIN
  UPDATE `user_counters` SET `followers_count` = `followers_count` + 1 WHERE `user_id` = NEW.`followee_id`;
  UPDATE `user_counters` SET `following_count` = `following_count` + 1 WHERE `user_id` = NEW.`follower_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `follows_count_delete` AFTER DELETE ON `follows`
BEGIN
  UPDATE `user_counters` SET `followers_count` = `followers_count` - 1 WHERE `user_id` = OLD.`followee_id`;
  UPDATE `user_counters` SET `following_count` = `following_count` - 1 WHERE `user_id` = OLD.`follower_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `follows_ignore_duplicate` BEFORE INSERT ON `follows`
WHEN EXISTS (SELECT 1 FROM `follows` WHERE `follower_id` = NEW.`follower_id` AND `followee_id` = NEW.`followee_id`)
BEGIN
  SELECT RAISE(IGNORE);
END;
--> statement-breakpoint
CREATE TRIGGER `follows_count_update` AFTER UPDATE OF `follower_id`, `followee_id` ON `follows`
WHEN OLD.`follower_id` IS NOT NEW.`follower_id` OR OLD.`followee_id` IS NOT NEW.`followee_id`
BEGIN
  UPDATE `user_counters` SET `followers_count` = `followers_count` - 1 WHERE `user_id` = OLD.`followee_id`;
  UPDATE `user_counters` SET `following_count` = `following_count` - 1 WHERE `user_id` = OLD.`follower_id`;
  UPDATE `user_counters` SET `followers_count` = `followers_count` + 1 WHERE `user_id` = NEW.`followee_id`;
  UPDATE `user_counters` SET `following_count` = `following_count` + 1 WHERE `user_id` = NEW.`follower_id`;
END;
