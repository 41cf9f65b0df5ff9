#!/bin/sh
# Creates one platform's Secrets in its namespace, with random values:
#
#   deploy/k8s/create-secrets.sh dev|qualif|prod            # in the cluster
#   deploy/k8s/create-secrets.sh prod --dry-run             # print them instead
#
# Existing Secrets are kept, so running it again only fills in what is missing;
# delete a Secret and run it again to rotate it, then restart the pods that read
# it (docs/operations.md, "Secrets"). For prod, give the alerter's SMTP server in
# ALERTER_SMTP_URL (e.g. smtp://user:password@relay.example.com:587?tls=required).
#
# Values go through files in a private temporary directory, never through
# command lines. `cargo xtask check-k8s` runs the --dry-run form and checks that
# every Secret key the manifests mount is created here.
set -eu

platform=${1:?usage: $0 dev|qualif|prod [--dry-run]}
case $platform in dev | qualif | prod) ;; *) echo "unknown platform $platform" >&2; exit 2 ;; esac
dry_run=${2:-}
ns=vigie-$platform

umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

random() {
    # 40 characters from [A-Za-z0-9]: no quoting issues in URLs or config files.
    LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40
}

# create NAME KEY=FILE...: one Secret from files of $tmp.
create() {
    name=$1
    shift
    args=""
    for pair in "$@"; do
        args="$args --from-file=${pair%%=*}=$tmp/${pair#*=}"
    done
    if [ "$dry_run" = --dry-run ]; then
        echo "---"
        # shellcheck disable=SC2086 # $args is a list of words without spaces
        kubectl -n "$ns" create secret generic "$name" $args --dry-run=client -o yaml
    elif kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then
        echo "kept     $ns/$name"
    else
        # shellcheck disable=SC2086
        kubectl -n "$ns" create secret generic "$name" $args >/dev/null
        echo "created  $ns/$name"
    fi
}

# Each team's queue has its own bearer keys: one per line (add lines to give
# clients their own key; 16 characters at least).
for queue in rubis saphir emeraude diamant; do
    random >"$tmp/api_keys_$queue"
    create "queue-$queue-api-keys" "api_keys=api_keys_$queue"
done

# Redis: the server's config holds the password, the clients' URL too.
random >"$tmp/redis_password"
printf 'requirepass %s\n' "$(cat "$tmp/redis_password")" >"$tmp/redis.conf"
printf 'redis://:%s@redis:6379/0' "$(cat "$tmp/redis_password")" >"$tmp/redis_url"
create redis "redis.conf=redis.conf" "url=redis_url"

if [ "$platform" = prod ]; then
    # The PostgreSQL superuser (administration only) and the service's own role.
    random >"$tmp/postgres_password"
    random >"$tmp/students_db_password"
    create postgres "postgres_password=postgres_password" "students_db_password=students_db_password"

    # The token Alertmanager presents to the alerter, and where the alerter mails.
    random >"$tmp/webhook_token"
    printf '%s' "${ALERTER_SMTP_URL:?set ALERTER_SMTP_URL, e.g. smtp://user:password@relay.example.com:587?tls=required}" >"$tmp/smtp_url"
    create alerter "webhook_token=webhook_token" "smtp_url=smtp_url"
fi
