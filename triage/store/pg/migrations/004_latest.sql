-- 004: each article's latest event, kept beside the history so that a store opens and reads the current
-- decisions without reading every event (a desk's history grows to millions of rows). A row trigger
-- keeps it as events are inserted; it runs as the schema's owner, so the desk may read it but never
-- write it by hand.

CREATE TABLE triage.latest (
    article_id text PRIMARY KEY,
    id         bigint NOT NULL
);

INSERT INTO triage.latest (article_id, id)
    SELECT article_id, max(id) FROM triage.events GROUP BY article_id;

CREATE FUNCTION triage.keep_latest() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO triage.latest AS l (article_id, id) VALUES (NEW.article_id, NEW.id)
        ON CONFLICT (article_id) DO UPDATE SET id = EXCLUDED.id WHERE l.id < EXCLUDED.id;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION triage.keep_latest() FROM PUBLIC;

CREATE TRIGGER events_latest AFTER INSERT ON triage.events
    FOR EACH ROW EXECUTE FUNCTION triage.keep_latest();

GRANT SELECT ON triage.latest TO triage_desk;

-- The desk inserts every column of an event but `id` (and `written_at`): an id chosen far ahead of
-- the sequence would stay the latest of its article here and hide every later row from readers
-- catching up by `id > newest seen`.
REVOKE INSERT ON triage.events FROM triage_desk;
GRANT INSERT (uid, article_id, decision, note, username, host, at, title, source, url, action, batch,
              version, urgency, slugline, wire_version, story) ON triage.events TO triage_desk;

-- Every insert, raw SQL included, takes the writers' lock first (as triage.desk_acts does): ids commit
-- in order, so a reader asking for `id > newest seen` misses no row a member wrote by hand.
CREATE FUNCTION triage.events_in() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(29810, 1);
    RETURN NULL;
END
$$;

CREATE TRIGGER events_in BEFORE INSERT ON triage.events
    FOR EACH STATEMENT EXECUTE FUNCTION triage.events_in();
