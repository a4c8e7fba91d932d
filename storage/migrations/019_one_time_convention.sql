-- Every instant in one convention, as `storage.base.instant` writes it: UTC, to the
-- microsecond, fixed width (2026-11-27T07:46:27.000000+00:00). Text order is then time order,
-- so comparisons need no julianday() and PostgreSQL shares the same SQL. Values were written
-- with the zone of the moment (+07:00) or in UTC, some without microseconds; SQLite's strftime
-- reads both and keeps milliseconds. Text it cannot read is left as it was.
DROP TRIGGER audit_no_update;
UPDATE calendar_overrides SET
    created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', created_at) || '000+00:00', created_at);
UPDATE users SET
    created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', created_at) || '000+00:00', created_at),
    deactivated_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', deactivated_at) || '000+00:00', deactivated_at),
    unreachable_since = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', unreachable_since) || '000+00:00', unreachable_since),
    last_seen_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', last_seen_at) || '000+00:00', last_seen_at);
UPDATE invitations SET
    created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', created_at) || '000+00:00', created_at),
    expires_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', expires_at) || '000+00:00', expires_at),
    used_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', used_at) || '000+00:00', used_at);
UPDATE rounds SET
    created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', created_at) || '000+00:00', created_at),
    closed_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', closed_at) || '000+00:00', closed_at);
UPDATE cases SET
    created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', created_at) || '000+00:00', created_at),
    closed_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', closed_at) || '000+00:00', closed_at);
UPDATE tasks SET
    started_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', started_at) || '000+00:00', started_at),
    due_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', due_at) || '000+00:00', due_at),
    done_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', done_at) || '000+00:00', done_at),
    notified_until = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', notified_until) || '000+00:00', notified_until),
    next_notice_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', next_notice_at) || '000+00:00', next_notice_at);
UPDATE entries SET
    published_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', published_at) || '000+00:00', published_at),
    withdrawn_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', withdrawn_at) || '000+00:00', withdrawn_at);
UPDATE documents SET
    uploaded_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', uploaded_at) || '000+00:00', uploaded_at),
    removed_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', removed_at) || '000+00:00', removed_at);
UPDATE audit SET
    at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', at) || '000+00:00', at);
UPDATE dialogs SET
    updated_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', updated_at) || '000+00:00', updated_at);
UPDATE digest_runs SET
    at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', at) || '000+00:00', at);
UPDATE outbox SET
    created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', created_at) || '000+00:00', created_at),
    not_before = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', not_before) || '000+00:00', not_before),
    next_try_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', next_try_at) || '000+00:00', next_try_at),
    sent_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', sent_at) || '000+00:00', sent_at),
    in_flight_since = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', in_flight_since) || '000+00:00', in_flight_since);
UPDATE round_schedules SET
    created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', created_at) || '000+00:00', created_at);
UPDATE processed_updates SET
    at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', at) || '000+00:00', at);
UPDATE channel_messages SET
    status_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', status_at) || '000+00:00', status_at);
UPDATE channel_early_failures SET
    at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', at) || '000+00:00', at);
UPDATE channel_media SET
    uploaded_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', uploaded_at) || '000+00:00', uploaded_at);
UPDATE absences SET
    created_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', created_at) || '000+00:00', created_at),
    ended_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', ended_at) || '000+00:00', ended_at),
    returned_told_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', returned_told_at) || '000+00:00', returned_told_at);
UPDATE exemption_decisions SET
    decided_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', decided_at) || '000+00:00', decided_at);
UPDATE schema_migrations SET
    applied_at = COALESCE(strftime('%Y-%m-%dT%H:%M:%f', applied_at) || '000+00:00', applied_at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;
-- The deadline index of migration 018 compared julianday(due_at); plain text compares now.
DROP INDEX tasks_open_due_day;
DROP INDEX tasks_open;
CREATE INDEX tasks_open_due ON tasks (due_at, id) WHERE done_at IS NULL;
