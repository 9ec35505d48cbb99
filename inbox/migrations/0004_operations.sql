-- Retention removes done deliveries by when they finished, and `purge` by state and age. Only
-- finished deliveries are in it, so that storing and claiming, which leave `finished_at`
-- NULL, never touch it.
CREATE INDEX {prefix}deliveries_finished ON {prefix}deliveries (state, finished_at)
    WHERE finished_at IS NOT NULL;
-- Filters by lead and by type, newest first: a page, and its count, at a million rows.
CREATE INDEX {prefix}deliveries_lead ON {prefix}deliveries (lead_id, received_at);
CREATE INDEX {prefix}deliveries_type ON {prefix}deliveries (activity_type, received_at);
-- Processing paused: one row per activity type whose deliveries workers leave alone, `*` for
-- every delivery. Deliveries are still stored while paused.
CREATE TABLE {prefix}pauses (
    activity_type TEXT PRIMARY KEY,
    -- When (milliseconds since the Unix epoch).
    paused_at BIGINT NOT NULL
);
