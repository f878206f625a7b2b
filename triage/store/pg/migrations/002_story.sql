-- 002: the list row (story) a decision was made on: its duplicate group's leader, "" when the story
-- was decided on its own. Exports show one row per story with it.
ALTER TABLE triage.events ADD COLUMN story text NOT NULL DEFAULT '';
