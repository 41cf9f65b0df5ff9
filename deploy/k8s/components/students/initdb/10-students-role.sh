#!/bin/sh
# Run once by the postgres image's entrypoint, when the data volume is empty
# (docker-entrypoint-initdb.d). It creates the students service's own role,
# owner of the `students` database (so its migrations can create the tables)
# but not a superuser. The password is read from the compose secret by psql
# itself, so it never appears on a command line.
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\set password `cat /run/secrets/students_db_password`
CREATE ROLE students LOGIN PASSWORD :'password';
ALTER DATABASE students OWNER TO students;
REVOKE ALL ON DATABASE students FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE students TO students;
SQL
