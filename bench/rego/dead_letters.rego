# The rules of the `dead-letters` check (plugins/dead-letters/src) in Rego, for the Rego-peer
# benchmark. Input: a plumbline-snapshot/1 document. Output: `findings`, a set of
# {rule, source, kind, id} that must equal the check's findings (rule and subject).
package plumbline.dead_letters

import rego.v1

# Parameter defaults of the check.
max_dead_letters := 0

max_receive_count := 10

max_retry_attempts := 10

# dlq-patterns (`*.dlq`, `*-dlq`, `*_dlq`, `*.dlt`, `*-dlt`, `*dead-letter*`, `*deadletter*`, `*.dead`).
dlq_suffixes := [".dlq", "-dlq", "_dlq", ".dlt", "-dlt", ".dead"]

dlq_infixes := ["dead-letter", "deadletter"]

alert_patterns := ["dlq", "dead_letter", "deadletter", "dead-letter", "dlt"]

dlt_suffixes := {"dlt", "dlq", "dead-letter", "dead_letter", "deadletter", "dead-letters", "dead", "error"}

requeue_keys := {
	"spring.rabbitmq.listener.simple.default-requeue-rejected",
	"spring.rabbitmq.listener.direct.default-requeue-rejected",
}

retry_suffixes := ["max-attempts", "max.attempts", "maxattempts", "max_attempts", "max-retries", "max.retries", "max_retries"]

finding(rule, source, kind, id) := {"rule": rule, "source": source, "kind": kind, "id": id}

dl_name(name) if {
	some s in dlq_suffixes
	endswith(lower(name), s)
}

dl_name(name) if {
	some s in dlq_infixes
	contains(lower(name), s)
}

# ---------------------------------------------------------------- rabbitmq

# An `x-` argument, or the same setting from the effective policy (first match wins).
setting(q, arg) := values[0] if {
	values := [p[1] | some p in q.arguments; p[0] == arg]
	count(values) > 0
}

setting(q, arg) := values[0] if {
	not has_argument(q, arg)
	key := trim_prefix(arg, "x-")
	values := [p[1] | some p in q.effective_policy; p[0] == key]
	count(values) > 0
}

has_argument(q, arg) if {
	some p in q.arguments
	p[0] == arg
}

has_setting(q, arg) if {
	_ = setting(q, arg)
}

path(q) := sprintf("%s/%s", [trim_right(q.vhost, "/"), q.name])

queue_index[b] := {[q.vhost, q.name]: q | some q in broker.queues} if {
	some b, broker in input.rabbitmq
}

# Exchange-to-exchange bindings of broker b as a graph of [vhost, exchange] nodes.
exchange_graph[b] := {[x.vhost, x.source]: {[d.vhost, d.destination] |
	some d in broker.bindings
	d.destination_kind == "exchange"
	d.vhost == x.vhost
	d.source == x.source
} |
	some x in broker.bindings
	x.destination_kind == "exchange"
} if {
	some b, broker in input.rabbitmq
}

# [vhost, name] of the queues exchange `ex` routes to, following exchange-to-exchange bindings.
routes(b, vhost, ex) := {[vhost, binding.destination] |
	reached := graph.reachable(exchange_graph[b], {[vhost, ex]})
	some binding in input.rabbitmq[b].bindings
	binding.vhost == vhost
	binding.destination_kind == "queue"
	reached[[vhost, binding.source]]
	queue_index[b][[vhost, binding.destination]]
}

# A wait queue of a TTL retry loop: it dead-letters back to a queue that dead-letters into it.
returns_to_sender(b, q, dlx) if {
	some node in routes(b, q.vhost, dlx)
	sender := queue_index[b][node]
	sender.name != q.name
	x := setting(sender, "x-dead-letter-exchange")
	x != ""
	some back in routes(b, sender.vhost, x)
	back[1] == q.name
}

dlqs contains [b, q.vhost, q.name] if {
	some b, broker in input.rabbitmq
	some q in broker.queues
	dl_name(q.name)
}

dlqs contains [b, q.vhost, key] if {
	some b, broker in input.rabbitmq
	some q in broker.queues
	setting(q, "x-dead-letter-exchange") == ""
	key := setting(q, "x-dead-letter-routing-key")
	key != q.name
}

dlqs contains [b, target[0], target[1]] if {
	some b, broker in input.rabbitmq
	some q in broker.queues
	dlx := setting(q, "x-dead-letter-exchange")
	dlx != ""
	not returns_to_sender(b, q, dlx)
	some target in routes(b, q.vhost, dlx)
	target[1] != q.name
	not has_setting(queue_index[b][target], "x-dead-letter-exchange")
}

# The queues the check looks at: not streams, not `amq.*`.
audited(q) if {
	q.queue_type != "stream"
	not startswith(q.name, "amq.")
}

findings contains finding("dead-letters/messages-in-dead-letter-queue", broker.source, "queue", path(q)) if {
	some b, broker in input.rabbitmq
	some q in broker.queues
	audited(q)
	dlqs[[b, q.vhost, q.name]]
	q.messages_ready + q.messages_unacknowledged > max_dead_letters
}

findings contains finding("dead-letters/rabbitmq-no-dead-letter", broker.source, "queue", path(q)) if {
	some b, broker in input.rabbitmq
	some q in broker.queues
	audited(q)
	not dlqs[[b, q.vhost, q.name]]
	not has_setting(q, "x-dead-letter-exchange")
}

findings contains finding("dead-letters/unbounded-redelivery", broker.source, "queue", path(q)) if {
	some broker in input.rabbitmq
	some q in broker.queues
	audited(q)
	q.queue_type == "quorum"
	unbounded_delivery(broker, q)
}

unbounded_delivery(_, q) if {
	limit := trim_space(setting(q, "x-delivery-limit"))
	regex.match(`^[+-]?[0-9]+$`, limit)
	to_number(limit) < 0
}

unbounded_delivery(broker, q) if {
	not has_setting(q, "x-delivery-limit")
	not major_at_least_4(broker)
}

major_at_least_4(broker) if {
	digits := regex.find_n(`^[0-9]+`, trim_left(trim_space(broker.version), "vV"), 1)
	to_number(digits[0]) >= 4
}

# ---------------------------------------------------------------- sqs

sqs_targets contains [a, q.dead_letter_target_arn] if {
	some a, account in input.sqs
	some q in account.queues
	q.dead_letter_target_arn != null
}

sqs_dlq(_, q) if count(q.dead_letter_sources) > 0

sqs_dlq(_, q) if dl_name(trim_suffix(q.name, ".fifo"))

sqs_dlq(a, q) if sqs_targets[[a, q.arn]]

findings contains finding("dead-letters/messages-in-dead-letter-queue", account.source, "queue", q.name) if {
	some a, account in input.sqs
	some q in account.queues
	sqs_dlq(a, q)
	q.messages_visible + q.messages_in_flight > max_dead_letters
}

findings contains finding("dead-letters/sqs-no-redrive", account.source, "queue", q.name) if {
	some a, account in input.sqs
	some q in account.queues
	not sqs_dlq(a, q)
	q.dead_letter_target_arn == null
}

findings contains finding("dead-letters/excessive-retries", account.source, "queue", q.name) if {
	some a, account in input.sqs
	some q in account.queues
	not sqs_dlq(a, q)
	q.dead_letter_target_arn != null
	q.max_receive_count != null
	q.max_receive_count > max_receive_count
}

# ---------------------------------------------------------------- kafka

dlt(t) if t.dead_letter == true

dlt(t) if dl_name(t.name)

dlt_names contains [c, t.name] if {
	some c, cluster in input.kafka
	some t in cluster.topics
	dlt(t)
}

findings contains finding("dead-letters/messages-in-dead-letter-queue", cluster.source, "topic", t.name) if {
	some cluster in input.kafka
	some t in cluster.topics
	dlt(t)
	t.messages > max_dead_letters
}

# Topic of an assignment `topic:partition` (the part before the last colon).
assigned_topic(a) := concat(":", array.slice(parts, 0, count(parts) - 1)) if {
	parts := split(a, ":")
	count(parts) > 1
}

assigned_topic(a) := a if not contains(a, ":")

consumed(g) := {t | some o in g.offsets; t := o.topic} | {assigned_topic(a) | some m in g.members; some a in m.assignments}

# `orders-retry-0` → `orders`: Spring retry topics share the main topic's dead-letter topic.
retry_base(topic) := bases[0] if {
	lt := lower(topic)
	bases := [substring(topic, 0, at) |
		some marker in ["-retry", ".retry", "_retry"]
		at := last_index(lt, marker)
		tail := trim_left(substring(lt, at + count(marker), -1), "-._")
		digits_only(tail)
	]
	count(bases) > 0
}

retry_base(topic) := topic if {
	lt := lower(topic)
	not retry_marked(lt)
}

retry_marked(lt) if {
	some marker in ["-retry", ".retry", "_retry"]
	at := last_index(lt, marker)
	digits_only(trim_left(substring(lt, at + count(marker), -1), "-._"))
}

last_index(s, sub) := found[count(found) - 1] if {
	found := indexof_n(s, sub)
	count(found) > 0
}

digits_only(s) if s == ""

digits_only(s) if regex.match(`^[0-9]+$`, s)

covers(dlt_name, topic) if {
	base := lower(retry_base(topic))
	d := lower(dlt_name)
	startswith(d, base)
	rest := substring(d, count(base), -1)
	substring(rest, 0, 1) in {".", "-", "_"}
	substring(rest, 1, -1) in dlt_suffixes
}

uncovered(c, cluster, t) if {
	not startswith(t, "__")
	not dlt_names[[c, t]]
	not dl_name(t)
	not covered(cluster, t)
}

covered(cluster, t) if {
	some d in cluster.topics
	dlt(d)
	covers(d.name, t)
}

findings contains finding("dead-letters/kafka-no-dead-letter-topic", cluster.source, "consumer-group", g.group_id) if {
	some c, cluster in input.kafka
	some g in cluster.consumer_groups
	some t in consumed(g)
	uncovered(c, cluster, t)
}

# ---------------------------------------------------------------- config files

as_number(v) := to_number(s) if {
	s := trim_space(v)
	regex.match(`^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$`, s)
}

retry_key(key) if {
	some s in retry_suffixes
	endswith(lower(key), s)
}

findings contains finding("dead-letters/unbounded-redelivery", file.path, "config-key", e.key) if {
	some file in input.config_files
	some e in file.entries
	e.secret == null
	requeue_keys[e.key]
	lower(trim_space(e.value)) == "true"
}

findings contains finding("dead-letters/unbounded-redelivery", file.path, "config-key", e.key) if {
	some file in input.config_files
	some e in file.entries
	e.secret == null
	not requeue_keys[e.key]
	retry_key(e.key)
	as_number(e.value) <= 0
}

findings contains finding("dead-letters/excessive-retries", file.path, "config-key", e.key) if {
	some file in input.config_files
	some e in file.entries
	e.secret == null
	not requeue_keys[e.key]
	retry_key(e.key)
	as_number(e.value) > max_retry_attempts
}

# ---------------------------------------------------------------- prometheus alerts

has_dead_letters if {
	some b, broker in input.rabbitmq
	some q in broker.queues
	audited(q)
	dlqs[[b, q.vhost, q.name]]
}

has_dead_letters if {
	some a, account in input.sqs
	some q in account.queues
	sqs_dlq(a, q)
}

has_dead_letters if {
	some _ in dlt_names
}

watches(server) if {
	some g in server.rule_groups
	some r in g.rules
	r.kind == "Alerting"
	some p in alert_patterns
	contains(lower(r.name), p)
}

watches(server) if {
	some g in server.rule_groups
	some r in g.rules
	r.kind == "Alerting"
	some p in alert_patterns
	contains(lower(r.expr), p)
}

findings contains finding("dead-letters/no-dead-letter-alert", server.source, "alert-coverage", "dead-letter-queues") if {
	has_dead_letters
	some server in input.prometheus
	not watches(server)
}
