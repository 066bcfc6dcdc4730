-- Hand-written: drizzle-kit cannot express triggers.
-- user_counters holds each user's followers, following and live-stream counts. These triggers
-- keep it exact inside the same statement that changes follows or live_streams, so the stats
-- read is one primary-key row whatever the counts, and no code path can forget to update it.
CREATE TRIGGER `users_create_counters` AFTER INSERT ON `users`
BEGIN
  INSERT OR IGNORE INTO `user_counters` (`user_id`) VALUES (NEW.`id`);
END;
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
CREATE TRIGGER `live_streams_count_insert` AFTER INSERT ON `live_streams`
BEGIN
  UPDATE `user_counters` SET `live_streams_count` = `live_streams_count` + 1 WHERE `user_id` = NEW.`user_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `live_streams_count_delete` AFTER DELETE ON `live_streams`
BEGIN
  UPDATE `user_counters` SET `live_streams_count` = `live_streams_count` - 1 WHERE `user_id` = OLD.`user_id`;
END;
--> statement-breakpoint
-- Rows that existed before these triggers start with their true counts.
INSERT OR IGNORE INTO `user_counters` (`user_id`, `followers_count`, `following_count`, `live_streams_count`)
SELECT u.`id`,
  (SELECT count(*) FROM `follows` f WHERE f.`followee_id` = u.`id`),
  (SELECT count(*) FROM `follows` f WHERE f.`follower_id` = u.`id`),
  (SELECT count(*) FROM `live_streams` s WHERE s.`user_id` = u.`id`)
FROM `users` u;
