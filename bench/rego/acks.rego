# The rules of the `acks` check (plugins/acks/src) in Rego, for the Rego-peer benchmark.
# Input: a plumbline-snapshot/1 document. Output: `findings`, a set of {rule, source, kind, id}
# that must equal the check's findings (rule and subject) on the same snapshot.
package plumbline.acks

import rego.v1

# Parameter defaults of the check.
ignore_queues := []

ack_mode_keys := {
	"spring.rabbitmq.listener.simple.acknowledge-mode",
	"spring.rabbitmq.listener.direct.acknowledge-mode",
	"spring.rabbitmq.listener.stream.acknowledge-mode",
}

spring_commit_keys := ["spring.kafka.consumer.enable-auto-commit", "spring.kafka.consumer.properties.enable.auto.commit"]

finding(rule, source, kind, id) := {"rule": rule, "source": source, "kind": kind, "id": id}

ignored(queue) if {
	some p in ignore_queues
	endswith(p, "*")
	startswith(queue, trim_suffix(p, "*"))
}

ignored(queue) if {
	some p in ignore_queues
	not endswith(p, "*")
	queue == p
}

# acks/rabbitmq-auto-ack: live consumers without manual acknowledgement.
findings contains finding("acks/rabbitmq-auto-ack", broker.source, "consumer", id) if {
	some broker in input.rabbitmq
	some c in broker.consumers
	not ignored(c.queue)
	c.ack_required == false
	id := sprintf("%s/%s/%s", [c.vhost, c.queue, c.consumer_tag])
}

# acks/rabbitmq-auto-ack: Spring AMQP containers with acknowledge-mode none.
findings contains finding("acks/rabbitmq-auto-ack", file.path, "config-key", e.key) if {
	some file in input.config_files
	some e in file.entries
	ack_mode_keys[e.key]
	lower(trim_space(e.value)) == "none"
}

# acks/kafka-auto-commit: Spring consumers with an explicit true, plain clients unless false.
findings contains finding("acks/kafka-auto-commit", file.path, "config-key", key) if {
	some file in input.config_files
	key := auto_commit_key(file)
}

is_spring(file) if {
	some e in file.entries
	startswith(e.key, "spring.kafka.consumer.")
}

is_plain(file) if {
	some e in file.entries
	e.key == "group.id"
}

has_key(file, key) if {
	some e in file.entries
	e.key == key
}

# The value of the first entry with `key`.
first_value(file, key) := values[0] if {
	values := [e.value | some e in file.entries; e.key == key]
	count(values) > 0
}

is_true(value) if lower(trim_space(value)) == "true"

auto_commit_key(file) := key if {
	is_spring(file)
	present := [k | some k in spring_commit_keys; has_key(file, k)]
	count(present) > 0
	key := present[0]
	is_true(first_value(file, key))
}

auto_commit_key(file) := "enable.auto.commit" if {
	not is_spring(file)
	is_plain(file)
	is_true(first_value(file, "enable.auto.commit"))
}

auto_commit_key(file) := "enable.auto.commit" if {
	not is_spring(file)
	is_plain(file)
	not has_key(file, "enable.auto.commit")
}

# acks/webhook-ack-before-processing.
findings contains finding("acks/webhook-ack-before-processing", "registry", "integration", i.id) if {
	some i in input.registry
	i.webhook.responds == "before-processing"
}
