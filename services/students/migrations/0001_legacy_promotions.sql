-- v001, carried over from the proof of concept: the brief's `sqlfiles/migration-v001.sql`
-- initialised "a specific business table" without giving its schema. We chose the
-- promotions the school runs, which is what the dashboard groups students by
-- (docs/students.md, "Schema").
--
-- IF NOT EXISTS and ON CONFLICT DO NOTHING: a volume initialised by the POC's
-- docker-entrypoint-initdb.d scripts already holds this table and these rows, but no
-- `_sqlx_migrations` history; applying this migration there must change nothing.
CREATE TABLE IF NOT EXISTS promotions (
    code    TEXT PRIMARY KEY,
    libelle TEXT NOT NULL,
    annee   INTEGER NOT NULL CHECK (annee BETWEEN 2000 AND 2100)
);

INSERT INTO promotions (code, libelle, annee) VALUES
    ('M2 Info', 'Master 2 Informatique', 2025),
    ('M2 MIAGE', 'Master 2 Méthodes informatiques appliquées à la gestion', 2025),
    ('M2 IA', 'Master 2 Intelligence artificielle', 2025)
ON CONFLICT (code) DO NOTHING;
