-- Notices that go out together: the rows delivered as one message share `bundle_id` (the id of
-- the bundle's first row), so a "more" button can page through what that message listed.
ALTER TABLE outbox ADD COLUMN bundle_id INTEGER;
CREATE INDEX outbox_bundle ON outbox (bundle_id) WHERE bundle_id IS NOT NULL;
-- The dispatcher takes a person's due rows together: find them by person.
CREATE INDEX outbox_pending_user ON outbox (user_id, not_before) WHERE state = 'pending';
-- A person whose chat refuses messages for good (blocked the bot, chat gone): their notices are
-- held, the admins are told once, and the first message they write again clears it.
ALTER TABLE users ADD COLUMN unreachable_since TEXT;
