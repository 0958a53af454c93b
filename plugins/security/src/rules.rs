//! The rule catalogue of `security`: id, default severity, title, why it matters, how to fix it
//! and vendor references, one entry per rule.

use plumbline_sdk::prelude::*;

use crate::*;

pub fn all() -> Vec<RuleSpec> {
    vec![
        RuleSpec::new(KAFKA_LISTENER, Severity::High, "Kafka brokers accept only TLS listeners")
            .description(
                "A PLAINTEXT or SASL_PLAINTEXT listener carries every record, and with \
                 SASL_PLAINTEXT also the client's credentials, unencrypted. Anyone on the network \
                 path — a compromised pod, a mirrored switch port — can read or alter events. When \
                 it is the inter-broker listener, replication traffic is exposed too.",
            )
            .remediation(
                "Serve clients and brokers on SSL or SASL_SSL listeners only: map every listener \
                 to SSL/SASL_SSL in listener.security.protocol.map, point \
                 inter.broker.listener.name at a TLS listener, move clients over, then remove the \
                 plaintext listener from listeners and advertised.listeners.",
            )
            .reference("https://kafka.apache.org/documentation/#listener_configuration")
            .reference("https://kafka.apache.org/documentation/#security_ssl"),
        RuleSpec::new(KAFKA_CLIENT, Severity::High, "Kafka clients connect over TLS")
            .description(
                "A client whose security.protocol is PLAINTEXT or SASL_PLAINTEXT — or unset, since \
                 the client default is PLAINTEXT — sends and receives events (and SASL \
                 credentials) in clear text, even when the brokers also offer TLS.",
            )
            .remediation(
                "Set security.protocol=SSL or SASL_SSL (Spring Boot: \
                 spring.kafka.security.protocol or spring.kafka.properties.security.protocol), \
                 with a truststore for the broker CA, and use the brokers' TLS port in \
                 bootstrap.servers.",
            )
            .reference("https://kafka.apache.org/documentation/#security_configclients")
            .reference("https://docs.spring.io/spring-boot/reference/messaging/kafka.html"),
        RuleSpec::new(RABBIT_LISTENER, Severity::High, "RabbitMQ listeners use TLS")
            .description(
                "An AMQP listener without TLS (port 5672) carries messages and PLAIN/AMQPLAIN \
                 credentials in clear text. An HTTP management listener without TLS (15672) \
                 exposes management credentials and message contents fetched through the UI or \
                 API (medium).",
            )
            .remediation(
                "Enable listeners.ssl.default (5671) with a certificate from your CA, move clients \
                 to amqps://, then disable the plain listener (listeners.tcp = none). Serve the \
                 management plugin over management.ssl.* (15671) only.",
            )
            .reference("https://www.rabbitmq.com/docs/ssl")
            .reference("https://www.rabbitmq.com/docs/management#single-listener-https"),
        RuleSpec::new(RABBIT_GUEST, Severity::High, "The RabbitMQ guest user is removed")
            .description(
                "guest is the well-known default account (password guest, administrator, full \
                 access to vhost /). It is only safe while loopback_users keeps it to localhost; \
                 one configuration change or a local proxy makes it a remote administrator login \
                 with a published password.",
            )
            .remediation(
                "Create named users per application and for operators, then delete guest \
                 (rabbitmqctl delete_user guest) — or at least change its password and keep \
                 loopback_users.guest = true.",
            )
            .reference("https://www.rabbitmq.com/docs/access-control")
            .reference("https://www.rabbitmq.com/docs/production-checklist"),
        RuleSpec::new(RABBIT_BROAD, Severity::Medium, "RabbitMQ application users have scoped permissions")
            .description(
                "A non-administrator user with `.*` for configure, write and read can declare and \
                 delete any queue or exchange in the vhost, publish anywhere and consume any \
                 queue. One leaked application credential then exposes every flow in the vhost.",
            )
            .remediation(
                "Grant each application only the resources it uses, e.g. configure `^$`, write \
                 `^orders$`, read `^payments[.]in$` (rabbitmqctl set_permissions -p /orders app \
                 '^$' '^orders$' '^payments[.]in$'), and declare topology from a deployment user.",
            )
            .reference("https://www.rabbitmq.com/docs/access-control#authorisation"),
        RuleSpec::new(SQS_PUBLIC, Severity::Critical, "SQS queue policies are not public")
            .description(
                "An Allow statement with Principal \"*\" and no Condition lets any AWS account — \
                 anyone on the internet with credentials — call the allowed actions on the \
                 queue: read and delete messages, or inject forged ones.",
            )
            .remediation(
                "Name the principals that need access (role ARNs of the producer and the \
                 consumer), or keep Principal \"*\" only together with a Condition such as \
                 aws:SourceArn, aws:SourceAccount or aws:PrincipalOrgID. Check the result with \
                 IAM Access Analyzer.",
            )
            .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html")
            .reference("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"),
        RuleSpec::new(SQS_WILDCARD, Severity::High, "SQS queue policies grant specific actions")
            .description(
                "Allowing sqs:* (or *) hands every principal in the statement the right to \
                 purge, delete or re-point the queue and change its policy, not just to send or \
                 receive. A consumer that only reads should not be able to write or delete.",
            )
            .remediation(
                "List the actions each principal needs: sqs:SendMessage for producers; \
                 sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and \
                 sqs:GetQueueAttributes for consumers.",
            )
            .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html")
            .reference("https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"),
        RuleSpec::new(SQS_UNENCRYPTED, Severity::Medium, "SQS queues use server-side encryption")
            .description(
                "Without SSE-SQS or SSE-KMS, message bodies are stored without queue-level \
                 encryption and no key policy limits who can read them.",
            )
            .remediation(
                "Enable SSE: SqsManagedSseEnabled=true, or KmsMasterKeyId set to a customer \
                 managed KMS key whose key policy grants only the producer and consumer roles.",
            )
            .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html"),
        RuleSpec::new(SQS_TRANSPORT, Severity::Low, "SQS queues refuse requests over plain HTTP")
            .description(
                "SQS accepts requests on an HTTP endpoint too. Unless the queue policy denies \
                 requests where aws:SecureTransport is false, a misconfigured client can send \
                 messages and credentials-signed requests unencrypted.",
            )
            .remediation(
                "Add a statement {\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:*\", \
                 \"Resource\":<queue ARN>,\"Condition\":{\"Bool\":{\"aws:SecureTransport\": \
                 \"false\"}}} to every queue policy, and use https:// SQS endpoints.",
            )
            .reference("https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html")
            .reference("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport"),
        RuleSpec::new(POSTGRES_TLS, Severity::High, "PostgreSQL connections are encrypted")
            .description(
                "With ssl=off on the server every query, result row and password exchange \
                 travels in clear text. A client with sslmode=disable (or allow) never asks for \
                 TLS even when the server offers it (medium).",
            )
            .remediation(
                "Set ssl=on with a server certificate (ssl_cert_file, ssl_key_file), require it \
                 with hostssl lines in pg_hba.conf, and connect with sslmode=verify-full (JDBC: \
                 ?sslmode=verify-full) so clients also verify the server.",
            )
            .reference("https://www.postgresql.org/docs/current/ssl-tcp.html")
            .reference("https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION")
            .reference("https://jdbc.postgresql.org/documentation/ssl/"),
        RuleSpec::new(CERT_EXPIRY, Severity::High, "Listener certificates stay valid for the review period")
            .description(
                "A broker certificate that expires makes every TLS client refuse the connection: \
                 the integration stops at once. The maintenance review asks that every \
                 certificate be valid for the next 90 days, so renewal never becomes an outage.",
            )
            .remediation(
                "Renew the certificate now and automate renewal (cert-manager, ACME, your PKI's \
                 agent); alert on expiry with a margin, e.g. from probe_ssl_earliest_cert_expiry \
                 of the Prometheus blackbox exporter.",
            )
            .reference("https://www.rabbitmq.com/docs/ssl")
            .reference("https://kafka.apache.org/documentation/#security_ssl")
            .reference("https://github.com/prometheus/blackbox_exporter"),
        RuleSpec::new(WEBHOOK_AUTH, Severity::High, "Webhook endpoints authenticate the sender")
            .description(
                "A webhook endpoint that accepts any request lets anyone who learns the URL — \
                 from a log, a browser history, a partner's config — inject forged events that \
                 the integration processes as real.",
            )
            .remediation(
                "Verify an HMAC signature over the raw body with a shared secret (and a \
                 timestamp to stop replays), or require mTLS or OAuth2 client credentials; \
                 reject unsigned requests with 401 before processing.",
            )
            .reference("https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries")
            .reference("https://docs.stripe.com/webhooks#verify-events"),
        RuleSpec::new(WEBHOOK_HTTP, Severity::High, "Webhook endpoints use HTTPS")
            .description(
                "Over http:// the event payload and any authentication header or signature \
                 travel unencrypted and can be read or replayed by anyone on the path.",
            )
            .remediation(
                "Serve the endpoint over HTTPS only (redirects do not help: the sender has already \
                 sent the body) and register the https:// URL with the sender.",
            )
            .reference("https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks")
            .reference("https://cheatsheetseries.owasp.org/cheatsheets/Transport_Layer_Security_Cheat_Sheet.html"),
        RuleSpec::new(PLAINTEXT_SECRET, Severity::High, "Configuration files hold no secrets in clear")
            .description(
                "A password, token or key written into a configuration file is copied into every \
                 repository clone, image layer, backup and support bundle, and rotating it needs \
                 a redeploy. Whoever can read the file can use the credential.",
            )
            .remediation(
                "Replace the value with a reference resolved at runtime — an environment \
                 variable (${DB_PASSWORD}), a mounted secret or a vault/secrets-manager lookup — \
                 then rotate the exposed credential, since it has already leaked.",
            )
            .reference("https://docs.spring.io/spring-boot/reference/features/external-config.html")
            .reference("https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"),
    ]
}
