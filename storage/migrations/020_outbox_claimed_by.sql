-- Which running instance stamped a row in flight (`Database.instance`): on PostgreSQL another
-- instance takes over at once the rows of one that is gone (its lock in the server ended with
-- its connection), instead of waiting for the lease. NULL: no stamp, or SQLite's one process.
ALTER TABLE outbox ADD COLUMN claimed_by BIGINT;
