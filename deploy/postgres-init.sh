#!/bin/sh
# Creates Prefect's database and the reporting database, each with its own role, on the first start
# of the PostgreSQL container (the image runs /docker-entrypoint-initdb.d/* only on an empty data folder).
# Role, password and database name are read from the two URLs of deploy/compose.env, so that each
# password is written once: PREFECT_API_DATABASE_CONNECTION_URL and PIX_LIVRET_DB_URL.
set -eu

# scheme://user:password@host:port/database[?options] -> "user password database"
# The passwords must need no URL encoding (compose.env.example says how to make one).
split_url() {
    printf '%s\n' "$1" | sed -n 's|^[^:]*://\([^:@/]*\):\([^@]*\)@[^/]*/\([^?]*\).*$|\1 \2 \3|p'
}

create() {
    label=$1 url=$2
    parts=$(split_url "$url")
    if [ -z "$parts" ]; then
        echo "pix-livret: $label n'est pas de la forme postgresql+pilote://rôle:mot_de_passe@hôte:port/base" >&2
        exit 1
    fi
    # split on spaces, without expanding a * or ? of the password as a file pattern
    set -f
    # shellcheck disable=SC2086
    set -- $parts
    set +f
    # psql variables quote the values (:'…' and :"…"), so no password or name is spliced into SQL
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
         -v role="$1" -v password="$2" -v database="$3" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
    echo "pix-livret: base $3 créée pour le rôle $1"
}

create PREFECT_API_DATABASE_CONNECTION_URL "$PREFECT_API_DATABASE_CONNECTION_URL"
create PIX_LIVRET_DB_URL "$PIX_LIVRET_DB_URL"
