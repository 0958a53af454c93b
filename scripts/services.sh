#!/usr/bin/env bash
# Makes sure the servers the tests talk to are up on 127.0.0.1, idempotently, and waits until
# each answers. PostgreSQL and RabbitMQ are started by the machine; we enable RabbitMQ's
# management and Prometheus plugins, and start tansu (Kafka), moto (SQS) and Prometheus
# ourselves, in the background, with their state and logs under $PLUMBLINE_SERVICES_DIR.
# Installing the programs is scripts/setup.sh's job.
#
# Addresses: Kafka 127.0.0.1:19092, SQS 127.0.0.1:15000, Prometheus 127.0.0.1:19090
# (rules in $PLUMBLINE_SERVICES_DIR/prometheus/rules/*.yml, reloaded by POST /-/reload).
set -euo pipefail

dir="${PLUMBLINE_SERVICES_DIR:-/tmp/plumbline-services}"
mkdir -p "$dir"

wait_for() { # name, command...
    local name=$1; shift
    for _ in $(seq 1 90); do
        if "$@" >/dev/null 2>&1; then echo "services: $name ready"; return 0; fi
        sleep 1
    done
    echo "services: $name did not become ready (logs in $dir)" >&2
    return 1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PostgreSQL (127.0.0.1:5432, trust auth, database `test`).
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
wait_for postgresql pg_isready -h 127.0.0.1 -p 5432

# RabbitMQ (127.0.0.1:5672, guest/guest) with the management API on :15672 and its own
# Prometheus endpoint on :15692 (scraped by our Prometheus).
if ! rabbitmq-diagnostics -q ping >/dev/null 2>&1; then
    rabbitmq-server -detached || true
    wait_for rabbitmq rabbitmq-diagnostics -q ping
fi
for plugin in rabbitmq_management rabbitmq_prometheus; do
    if ! rabbitmq-plugins list -e -m 2>/dev/null | grep -qx "$plugin"; then
        rabbitmq-plugins enable "$plugin"
    fi
done
wait_for rabbitmq-management curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview
wait_for rabbitmq-prometheus curl -fsS http://127.0.0.1:15692/metrics

# Kafka: tansu, in memory.
if ! port_open 19092; then
    nohup tansu broker --listener-url tcp://127.0.0.1:19092 --advertised-listener-url tcp://127.0.0.1:19092 \
        --storage-engine memory://tansu/ >"$dir/tansu.log" 2>&1 &
fi
wait_for kafka port_open 19092

# SQS: moto.
if ! port_open 15000; then
    moto=$(command -v moto_server || echo "${PLUMBLINE_VENV:-$HOME/.cache/plumbline/moto-venv}/bin/moto_server")
    nohup "$moto" -H 127.0.0.1 -p 15000 >"$dir/moto.log" 2>&1 &
fi
wait_for sqs curl -fsS -o /dev/null http://127.0.0.1:15000/moto-api/

# Prometheus on 127.0.0.1:19090 scraping itself and RabbitMQ.
prom="$dir/prometheus"
mkdir -p "$prom/rules" "$prom/data"
cat >"$prom/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $prom/rules/*.yml
scrape_configs:
  - job_name: prometheus
    static_configs: [{ targets: ["127.0.0.1:19090"] }]
  - job_name: rabbitmq
    static_configs: [{ targets: ["127.0.0.1:15692"] }]
YAML
if ! port_open 19090; then
    nohup prometheus --config.file="$prom/prometheus.yml" --storage.tsdb.path="$prom/data" \
        --web.listen-address=127.0.0.1:19090 --web.enable-lifecycle >"$dir/prometheus.log" 2>&1 &
fi
wait_for prometheus curl -fsS http://127.0.0.1:19090/-/ready
