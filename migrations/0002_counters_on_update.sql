-- Hand-written: drizzle-kit cannot express triggers.
-- Closes the two writes the counter triggers of 0001 could not see:
-- * INSERT OR REPLACE of an existing follow: SQLite runs no delete trigger for a replaced row
--   unless recursive_triggers is on (D1 does not offer it), so the count would go up twice.
--   Following someone you already follow is now a no-op, whatever the conflict clause.
-- * An UPDATE that moves a follow or a live stream to another user now moves its count too.
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
--> statement-breakpoint
CREATE TRIGGER `live_streams_count_update` AFTER UPDATE OF `user_id` ON `live_streams`
WHEN OLD.`user_id` IS NOT NEW.`user_id`
BEGIN
  UPDATE `user_counters` SET `live_streams_count` = `live_streams_count` - 1 WHERE `user_id` = OLD.`user_id`;
  UPDATE `user_counters` SET `live_streams_count` = `live_streams_count` + 1 WHERE `user_id` = NEW.`user_id`;
END;
