#!/usr/bin/env bash
# Makes sure the servers the tests talk to are up on 127.0.0.1, idempotently, and waits until
# each answers. PostgreSQL and RabbitMQ are started by the machine; we only enable RabbitMQ's
# management plugin (the collector reads its HTTP API).
set -euo pipefail

wait_for() { # name, command...
    local name=$1; shift
    for _ in $(seq 1 60); do
        if "$@" >/dev/null 2>&1; then echo "services: $name ready"; return 0; fi
        sleep 1
    done
    echo "services: $name did not become ready" >&2
    return 1
}

# PostgreSQL (127.0.0.1:5432, trust auth, database `test`).
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
wait_for postgresql pg_isready -h 127.0.0.1 -p 5432

# RabbitMQ (127.0.0.1:5672, guest/guest) with the management API on :15672.
if ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
    rabbitmq-server -detached || true
    wait_for rabbitmq rabbitmq-diagnostics -q ping
fi
if ! rabbitmq-plugins list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
    rabbitmq-plugins enable rabbitmq_management
fi
wait_for rabbitmq-management curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview
