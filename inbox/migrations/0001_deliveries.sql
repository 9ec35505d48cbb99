-- One row per delivery: stored once (the key is unique), then processed until it succeeds.
-- The same statements on SQLite and PostgreSQL: text, 64-bit integers, times as milliseconds
-- since the Unix epoch (UTC).
CREATE TABLE {prefix}deliveries (
    -- The activity's `_id`; for a body without a readable one, "sha256:" and the hash of the
    -- body without its key.
    delivery_key TEXT PRIMARY KEY,
    activity_id TEXT,
    activity_type TEXT,
    lead_id TEXT,
    -- The activity's time, when it could be read.
    created_at BIGINT,
    received_at BIGINT NOT NULL,
    -- 1 when the delivery fits the documentation; 0 when it drifted (see `drift`).
    typed BIGINT NOT NULL,
    -- Why it does not fit: the error, with its path, line and column.
    drift TEXT,
    -- The body as it came, without its handshake key.
    body TEXT NOT NULL,
    -- pending, running, done or dead.
    state TEXT NOT NULL,
    -- How many times a worker has taken it.
    attempts BIGINT NOT NULL,
    -- When it is next due: for a pending delivery, its next attempt; for a running one, when
    -- its worker's claim expires and another may take it.
    next_attempt_at BIGINT NOT NULL,
    claimed_by TEXT,
    last_error TEXT,
    finished_at BIGINT
);

-- What workers claim: the due deliveries, oldest first.
CREATE INDEX {prefix}deliveries_due ON {prefix}deliveries (state, next_attempt_at);
-- What `inbox list` shows first: the latest.
CREATE INDEX {prefix}deliveries_received ON {prefix}deliveries (received_at);
