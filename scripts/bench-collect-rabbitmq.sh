#!/usr/bin/env bash
# Times `plumbline snapshot` against the local RabbitMQ holding N extra queues (default 5000):
# creates vhost `plumbline-scale` with N durable classic queues through one definitions import,
# collects it with the release binary, prints the collection time, deletes the vhost.
# Usage: scripts/bench-collect-rabbitmq.sh [N]   (needs `just build` and `just services` first;
# PLUMBLINE_BIN overrides the binary, default ./target/release/plumbline)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5000}
vhost=plumbline-scale
api=http://127.0.0.1:15672/api
work=$(mktemp -d)
trap 'curl -fsS -u guest:guest -X DELETE "$api/vhosts/$vhost" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

curl -fsS -u guest:guest -X PUT "$api/vhosts/$vhost" >/dev/null
curl -fsS -u guest:guest -X PUT -H 'content-type: application/json' \
    -d '{"configure":".*","write":".*","read":".*"}' "$api/permissions/$vhost/guest" >/dev/null
python3 - "$n" >"$work/defs.json" <<'PY'
import json, sys
n = int(sys.argv[1])
queues = [{"name": f"scale.q{i:05d}", "durable": True, "auto_delete": False,
           "arguments": {"x-queue-type": "classic"} if i % 2 else {}} for i in range(n)]
print(json.dumps({"queues": queues}))
PY
curl -fsS -u guest:guest -X POST -H 'content-type: application/json' --data-binary @"$work/defs.json" \
    "$api/definitions/$vhost" >/dev/null
echo "created $n queues in vhost $vhost"
# Let the management database catch up with the new queues.
for _ in $(seq 1 60); do
    count=$(curl -fsS -u guest:guest "$api/queues/$vhost?page=1&page_size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_count"])')
    [[ $count -ge $n ]] && break
    sleep 1
done

cat >"$work/plumbline.toml" <<TOML
[collect]
timeout-seconds = 120
[[sources.rabbitmq]]
name = "rabbit-scale"
management-url = "http://127.0.0.1:15672"
amqp-url = "amqp://127.0.0.1:5672/%2f"
username = "guest"
password = "guest"
TOML
start=$(date +%s.%N)
"${PLUMBLINE_BIN:-./target/release/plumbline}" snapshot --config "$work/plumbline.toml" -o "$work/snapshot.json"
end=$(date +%s.%N)
queues=$(python3 -c 'import json,sys; print(sum(len(b["queues"]) for b in json.load(open(sys.argv[1]))["rabbitmq"]))' "$work/snapshot.json")
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["collection"]; print("collector elapsed_ms:", c["elapsed_ms"])' "$work/snapshot.json"
printf 'collected %s queues in %.2f s (whole process)\n' "$queues" "$(echo "$end - $start" | bc)"
