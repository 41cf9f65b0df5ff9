-- The outbox: every accepted notification, and one delivery row per channel.
-- Times are Unix milliseconds (portable between SQLite and PostgreSQL).

-- One row per distinct webhook content; `last_stored_ms` is when that content
-- was last stored, so an identical webhook within the dedup window is a duplicate.
CREATE TABLE dedup (
    dedup_key      TEXT    NOT NULL PRIMARY KEY,
    last_stored_ms BIGINT  NOT NULL
);

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key   TEXT    NOT NULL,
    received_ms BIGINT  NOT NULL,
    receiver    TEXT    NOT NULL,
    group_key   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    payload     TEXT    NOT NULL
);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id BIGINT  NOT NULL REFERENCES notifications (id),
    channel         TEXT    NOT NULL,
    -- The notification's group: a channel delivers one group's notifications
    -- in order (firing before resolved), one at a time.
    group_key       TEXT    NOT NULL,
    -- pending | delivered | dead
    state           TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    -- Matrix events already sent when a notification is split in several.
    parts_done      BIGINT  NOT NULL DEFAULT 0,
    created_ms      BIGINT  NOT NULL,
    next_attempt_ms BIGINT  NOT NULL,
    -- A worker holds the row until then; 0 when nobody does.
    lease_until_ms  BIGINT  NOT NULL DEFAULT 0,
    finished_ms     BIGINT,
    last_error      TEXT,
    UNIQUE (notification_id, channel)
);

CREATE INDEX deliveries_due ON deliveries (state, channel, next_attempt_ms);
CREATE INDEX deliveries_group ON deliveries (channel, group_key, state, id);
