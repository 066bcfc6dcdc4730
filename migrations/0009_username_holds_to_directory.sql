-- Username holds moved to the directory (migrations-directory/), the one judge of names across
-- the shards. A deployment with holds here copies them there before applying this (README).
DROP TABLE `username_holds`;