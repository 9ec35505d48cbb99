-- A delivery that came again with another body under the same key is kept as a row of its
-- own: `conflict_of` names the row it conflicts with (NULL for every other row).
ALTER TABLE {prefix}deliveries ADD COLUMN conflict_of TEXT;
-- 1 when the receiver that took it checked its handshake key, 0 when it checked none; NULL
-- for a row stored before this was kept.
ALTER TABLE {prefix}deliveries ADD COLUMN verified BIGINT;
