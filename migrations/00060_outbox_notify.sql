-- +goose Up
-- Every insert into the outbox notifies the relay (LISTEN cybercampus_outbox),
-- which then relays at once instead of at its next poll. The notification is
-- sent when the inserting transaction commits, and identical notifications of
-- one transaction are sent once. The relay still polls, so a notification lost
-- while its connection is down only delays delivery by one poll interval.
-- +goose StatementBegin
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cybercampus_outbox', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- +goose Down
DROP TRIGGER outbox_notify ON outbox;
DROP FUNCTION outbox_notify();
