#!/bin/sh
# Creates the compose stack's secrets, random, in compose/secrets/<platform>/.
# Run it once from anywhere (it finds its own directory):
#
#   compose/secrets/create.sh
#
# Existing files are kept, so running it again only fills in what is missing;
# delete a file and run it again to rotate that secret (then recreate the
# containers that read it: docs/compose.md, "Secrets").
#
# The directories are private to you (0700). The files are readable (0644)
# because compose bind-mounts each one into containers that run as their own
# non-root users; the private directory is what keeps other local users out.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
umask 077

random() {
    # 40 characters from [A-Za-z0-9]: no quoting issues in URLs or config files.
    LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40
}

create() {
    file="$dir/$1"
    mkdir -p "$(dirname "$file")"
    chmod 700 "$(dirname "$file")"
    if [ -s "$file" ]; then
        echo "kept     compose/secrets/$1"
        return
    fi
    random >"$file"
    chmod 644 "$file"
    echo "created  compose/secrets/$1"
}

for platform in dev qualif prod; do
    # The queues' bearer keys (one per line; add lines to give clients their own key).
    create "$platform/api_keys"
done
create prod/postgres_password
create prod/students_db_password
create prod/grafana_admin_password
create prod/alerter_webhook_token

echo
echo "Grafana: user admin, password in compose/secrets/prod/grafana_admin_password"
echo "Queue API key of a platform: compose/secrets/<platform>/api_keys"
