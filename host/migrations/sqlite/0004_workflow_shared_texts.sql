-- The shared calendars and agency registries a workflow was loaded with (JSON:
-- `{"calendars": {NAME: TEXT}, "registries": {NAME: TEXT}}`), so that it loads the same
-- after a restart, in `serve check` and in a portal. Workflows stored before named none.
ALTER TABLE workflows ADD COLUMN shared TEXT NOT NULL DEFAULT '{}';
