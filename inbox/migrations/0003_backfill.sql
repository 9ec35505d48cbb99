-- A delivery recovered from ClinchPad's REST API by a backfill, not sent by the webhook:
-- when (milliseconds since the Unix epoch). NULL for every delivery the webhook sent.
ALTER TABLE {prefix}deliveries ADD COLUMN recovered_at BIGINT;
-- Where each backfill stands: one row per set of activity types it recovers (`scope`, the
-- types joined with `,`, empty for all).
CREATE TABLE {prefix}backfills (
    scope TEXT PRIMARY KEY,
    -- The newest activity time (ms) a finished run met: the next run goes down to it (less a
    -- margin), not further.
    complete_to BIGINT,
    -- How ClinchPad numbers pages, once a run has seen it: from 0 or from 1.
    first_page BIGINT,
    -- A run that stopped before its end (its budget spent, an error, the process stopped):
    -- the page it goes on from (0 for the newest), the time it goes down to (NULL: until
    -- a run of activities the webhook delivered), and the newest activity time it met.
    run_page BIGINT,
    run_floor BIGINT,
    run_newest BIGINT,
    updated_at BIGINT NOT NULL
);
