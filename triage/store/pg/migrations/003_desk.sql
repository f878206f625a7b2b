-- 003: the desk beside the decisions. `triage.desk_acts`: takes, releases, hand-offs, their
-- acknowledgements and desk watch changes, appended and never changed, ordered by id; what is in
-- force (who holds a story, which hand-off was seen, whose watch a name is) is read from them in
-- order. `triage.presence`: who is on the desk now, one row per open TUI, replaced in place and
-- never in any history. Who wrote a row is the role's word (current_user); the server's clock
-- stamps acts and beats, so no host's clock decides when a take or a presence ends.

CREATE TABLE triage.desk_acts (
    id         bigserial PRIMARY KEY,
    uid        text NOT NULL UNIQUE CHECK (uid <> '' AND length(uid) <= 128),
    kind       text NOT NULL CHECK (kind IN ('take', 'release', 'handoff', 'ack', 'watch', 'unwatch')),
    article_id text NOT NULL DEFAULT '',
    who        text NOT NULL DEFAULT current_user,
    host       text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    until      timestamptz,                       -- a take: when it ends unless renewed or given back
    to_user    text NOT NULL DEFAULT '',          -- a hand-off: the colleague, or '@desk'
    note       text NOT NULL DEFAULT '',          -- a hand-off's note; a watch's query
    ref        text NOT NULL DEFAULT '',          -- an ack: the hand-off's uid; a watch: its name
    title      text NOT NULL DEFAULT '',
    story      text NOT NULL DEFAULT '',
    CHECK (length(article_id) <= 512 AND length(who) <= 64 AND length(host) <= 255
           AND length(to_user) <= 64 AND length(note) <= 4000 AND length(ref) <= 256
           AND length(title) <= 1000 AND length(story) <= 512),
    CHECK (kind <> 'take' OR until IS NOT NULL),
    CHECK (kind <> 'handoff' OR to_user <> ''),
    CHECK (kind NOT IN ('ack', 'watch', 'unwatch') OR ref <> '')
);

CREATE INDEX desk_acts_article ON triage.desk_acts (article_id, id);

-- The triggers run as the inserting member: each names its own search_path, so a function or operator
-- she created in a schema she put first on hers is never the one they call.

-- Every insert, raw SQL included, takes the desk's lock first (the client takes it earlier, before it
-- reads who holds a story): ids commit in order, so a reader asking for `id > newest seen` misses
-- nothing. An editor's act is stamped by the server's clock, and a take lasts a week at most; the
-- owner (copying a desk in) keeps the times it brings.
CREATE FUNCTION triage.desk_act_in() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(29810, 3);
    RETURN NULL;
END
$$;

CREATE TRIGGER desk_acts_in BEFORE INSERT ON triage.desk_acts
    FOR EACH STATEMENT EXECUTE FUNCTION triage.desk_act_in();

CREATE FUNCTION triage.desk_act_stamp() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    owner oid := (SELECT relowner FROM pg_class WHERE oid = TG_RELID);
    minutes interval;
BEGIN
    IF NOT pg_has_role(current_user, owner, 'MEMBER') THEN
        minutes := NEW.until - NEW.at;
        NEW.at := clock_timestamp();
        IF NEW.until IS NOT NULL THEN  -- a take lasts what was asked, a week at most
            NEW.until := NEW.at + least(greatest(minutes, interval '0'), interval '7 days');
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER desk_acts_stamp BEFORE INSERT ON triage.desk_acts
    FOR EACH ROW EXECUTE FUNCTION triage.desk_act_stamp();

-- Live across hosts: one small notification per insert statement (the newest id), sent at commit.
CREATE FUNCTION triage.notify_desk() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('triage_desk', (SELECT max(id)::text FROM new_rows));
    RETURN NULL;
END
$$;

CREATE TRIGGER desk_acts_notify AFTER INSERT ON triage.desk_acts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION triage.notify_desk();

-- The desk reads everything and appends in its own name only; an acknowledgement only of a hand-off
-- addressed to the writer, or to the desk by someone else. No update, no delete.
ALTER TABLE triage.desk_acts ENABLE ROW LEVEL SECURITY;
CREATE POLICY desk_reads ON triage.desk_acts FOR SELECT TO triage_desk USING (true);
CREATE POLICY own_name_only ON triage.desk_acts FOR INSERT TO triage_desk
    WITH CHECK (who = current_user AND (kind <> 'ack' OR EXISTS (
        SELECT 1 FROM triage.desk_acts h
        WHERE h.uid = desk_acts.ref AND h.kind = 'handoff'
          AND (h.to_user = current_user OR (h.to_user = '@desk' AND h.who <> current_user)))));

-- Every column but `id`: readers catch up by `id > newest seen`, so a row dated far ahead of the
-- sequence would hide every later one from the desk.
GRANT SELECT ON triage.desk_acts TO triage_desk;
GRANT INSERT (uid, kind, article_id, who, host, at, until, to_user, note, ref, title, story)
    ON triage.desk_acts TO triage_desk;
GRANT USAGE ON SEQUENCE triage.desk_acts_id_seq TO triage_desk;

-- Presence: short-lived, one row per open TUI (role, host, pid), upserted by its beats. The server
-- stamps `beat` (and `since`, when the story open changes), so ages come from the server's clock; a
-- row whose beat is older than the expiry is gone for every reader, so a killed TUI's row ages out.
CREATE TABLE triage.presence (
    who        text NOT NULL DEFAULT current_user,
    host       text NOT NULL,
    pid        integer NOT NULL,
    article_id text NOT NULL DEFAULT '',
    since      timestamptz NOT NULL DEFAULT clock_timestamp(),
    beat       timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (length(host) <= 255 AND length(article_id) <= 512),
    PRIMARY KEY (who, host, pid)
);

CREATE FUNCTION triage.presence_stamp() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.beat := clock_timestamp();
    IF TG_OP = 'UPDATE' AND NEW.article_id IS NOT DISTINCT FROM OLD.article_id THEN
        NEW.since := OLD.since;
    ELSE
        NEW.since := NEW.beat;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER presence_stamp BEFORE INSERT OR UPDATE ON triage.presence
    FOR EACH ROW EXECUTE FUNCTION triage.presence_stamp();

ALTER TABLE triage.presence ENABLE ROW LEVEL SECURITY;
CREATE POLICY desk_reads ON triage.presence FOR SELECT TO triage_desk USING (true);
CREATE POLICY own_rows_in ON triage.presence FOR INSERT TO triage_desk WITH CHECK (who = current_user);
CREATE POLICY own_rows_changed ON triage.presence FOR UPDATE TO triage_desk
    USING (who = current_user) WITH CHECK (who = current_user);
CREATE POLICY own_rows_out ON triage.presence FOR DELETE TO triage_desk USING (who = current_user);

GRANT SELECT, INSERT, UPDATE, DELETE ON triage.presence TO triage_desk;
