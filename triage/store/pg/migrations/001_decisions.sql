-- 001: the decision record. Append-only events, one row each, ordered by id; the current decision of
-- an article is its latest row. Who wrote a row is the database role's word (current_user), never
-- the client's: editors may only insert rows in their own name (row-level security) and may neither
-- update nor delete. Takes, hand-offs, presence and watches come in later numbered files.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'triage_desk') THEN
        CREATE ROLE triage_desk NOLOGIN;
    END IF;
END
$$;

CREATE TABLE triage.events (
    id           bigserial PRIMARY KEY,
    uid          text NOT NULL UNIQUE CHECK (uid <> '' AND length(uid) <= 128),
    article_id   text NOT NULL,
    decision     text CHECK (decision IN ('follow-up', 'archive', 'flag')),
    note         text NOT NULL DEFAULT '',
    username     text NOT NULL DEFAULT current_user,
    host         text NOT NULL DEFAULT '',
    at           text NOT NULL,
    title        text NOT NULL DEFAULT '',
    source       text NOT NULL DEFAULT '',
    url          text NOT NULL DEFAULT '',
    action       text NOT NULL CHECK (action IN ('decide', 'clear', 'undo', 'note')),
    batch        text NOT NULL DEFAULT '',
    version      text NOT NULL DEFAULT '',
    urgency      smallint CHECK (urgency BETWEEN 0 AND 9),
    slugline     text NOT NULL DEFAULT '',
    wire_version text NOT NULL DEFAULT '',
    written_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_article ON triage.events (article_id, id);

-- Live across hosts: one small notification per insert statement (the newest id), sent at commit.
CREATE FUNCTION triage.notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('triage_events', (SELECT max(id)::text FROM new_rows));
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify AFTER INSERT ON triage.events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION triage.notify_events();

-- The desk reads everything and appends in its own name only. The owner (who migrates and runs
-- `triage store copy`) is not bound by the policies, so a desk's history keeps its authors.
ALTER TABLE triage.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY desk_reads ON triage.events FOR SELECT TO triage_desk USING (true);
CREATE POLICY own_name_only ON triage.events FOR INSERT TO triage_desk
    WITH CHECK (username = current_user);

GRANT USAGE ON SCHEMA triage TO triage_desk;
GRANT SELECT ON triage.schema_migrations TO triage_desk;
GRANT SELECT, INSERT ON triage.events TO triage_desk;
GRANT USAGE ON SEQUENCE triage.events_id_seq TO triage_desk;
