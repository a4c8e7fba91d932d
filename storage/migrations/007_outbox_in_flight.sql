-- The instant a notice part was handed to Telegram and not yet confirmed. After a crash, a row
-- with this set is the only kind that may arrive twice (the answer was lost with the process).
ALTER TABLE outbox ADD COLUMN in_flight_since TEXT;
