#!/bin/sh
set -Eeo pipefail
exec "$@"
