-- What workers claim: only the deliveries still to be done, in the order they are due, so
-- that a claim reads as many entries as it takes however many done ones the table keeps.
CREATE INDEX {prefix}deliveries_claimable ON {prefix}deliveries (next_attempt_at, delivery_key)
    WHERE state IN ('pending', 'running');
-- Workers in lead order look, for each due delivery, for an earlier one of its lead still to
-- be done: only those are in it, so that it stays as small as the backlog.
CREATE INDEX {prefix}deliveries_lead_order ON {prefix}deliveries (lead_id, created_at, delivery_key)
    WHERE state IN ('pending', 'running');
