#!/usr/bin/env bash
# Prints where `make run` serves and how to create the first administrator,
# from the same variables the program reads (HTTP_ADDR, PUBLIC_BASE_URL,
# DATABASE_URL), so every printed command works as printed.
#
#   scripts/hints.sh BIN
set -euo pipefail
bin=${1:-bin/cybercampus}

addr=${HTTP_ADDR:-:8080}
host=${addr%:*}; port=${addr##*:}
case $host in ""|0.0.0.0|"[::]") host=localhost;; esac
local_url="http://$host:$port"

# shell_quote quotes a value for a POSIX shell.
shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

env_prefix=
[ -z "${DATABASE_URL:-}" ] || env_prefix="DATABASE_URL=$(shell_quote "$DATABASE_URL") "

echo
echo "CyberCampus is starting on $local_url"
if [ -n "${PUBLIC_BASE_URL:-}" ] && [ "${PUBLIC_BASE_URL%/}" != "$local_url" ]; then
  echo "  (its public address, written into certificates and emails, is $PUBLIC_BASE_URL)"
fi
echo "Try it:   curl $local_url/v1/courses    or open $local_url/dashboard"
echo "Create the first admin with:"
echo "  ${env_prefix}$bin users create --email admin@example.org --password 'choose-a-long-one' --name 'Admin' --role admin"
echo
