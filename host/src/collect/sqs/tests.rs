//! Tests of the SQS collector: what it reads, that it changes nothing, how it fails.
//!
//! Live against moto_server on 127.0.0.1:15000 (`scripts/services.sh`), which accepts any
//! credentials; each test works with its own queue-name prefix and deletes its queues afterwards.
//! moto ignores `MaxResults`, so paging, bounded concurrency and per-queue failures are shown
//! against [`fake`], a minimal SQS endpoint; refused credentials against a moto_server this file
//! starts with IAM enforced (`INITIAL_NO_AUTH_ACTION_COUNT`).

mod fake;

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::QueueAttributeName as Attr;
use futures::FutureExt;
use serde_json::{Value, json};

use super::*;

const MOTO: &str = "http://127.0.0.1:15000";
const CANARY: &str = "s3cret-canary/SQS+key";

/// Fails the test, naming the recipe that starts it, unless the local moto answers on [`MOTO`].
fn require_moto() {
    let address: std::net::SocketAddr = "127.0.0.1:15000".parse().expect("socket address");
    if let Err(err) = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(3)) {
        panic!("no SQS (moto) on {MOTO} ({err}): start the test servers with `just services`");
    }
}

fn source(endpoint: &str) -> SqsSource {
    SqsSource {
        name: "sqs-test".into(),
        region: Some("us-east-1".into()),
        endpoint_url: Some(endpoint.into()),
        profile: None,
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        session_token: None,
        queue_name_prefix: None,
        page_size: 1000,
        concurrency: 8,
        request_timeout_seconds: 10,
        max_attempts: 3,
    }
}

fn random_suffix() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher
        .write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("{:010x}", hasher.finish() & 0xFF_FFFF_FFFF)
}

/// The test's own client, for setup and for measuring (the collector has its own).
fn admin(endpoint: &str, key: &str, secret: &str) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(client::http_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

async fn create(client: &aws_sdk_sqs::Client, name: &str, attributes: &[(Attr, String)]) -> String {
    let mut request = client.create_queue().queue_name(name);
    for (key, value) in attributes {
        request = request.attributes(key.clone(), value);
    }
    let created = request.send().await.unwrap_or_else(|e| panic!("CreateQueue {name}: {}", DisplayErrorContext(e)));
    created.queue_url().expect("queue URL").to_string()
}

async fn attribute(client: &aws_sdk_sqs::Client, url: &str, name: Attr) -> String {
    let out = client.get_queue_attributes().queue_url(url).attribute_names(name.clone()).send().await.expect("attrs");
    out.attributes().and_then(|a| a.get(&name)).cloned().unwrap_or_default()
}

/// Queue URL → (visible, not visible, delayed), read with the test's client.
async fn depths(client: &aws_sdk_sqs::Client, urls: &[String]) -> Vec<(String, [String; 3])> {
    let mut out = Vec::new();
    for url in urls {
        let mut counts = [String::new(), String::new(), String::new()];
        for (slot, name) in counts.iter_mut().zip([
            Attr::ApproximateNumberOfMessages,
            Attr::ApproximateNumberOfMessagesNotVisible,
            Attr::ApproximateNumberOfMessagesDelayed,
        ]) {
            *slot = attribute(client, url, name).await;
        }
        out.push((url.clone(), counts));
    }
    out
}

/// Deletes every queue whose name starts with `prefix` (cleanup: errors are only printed).
async fn delete_queues(client: &aws_sdk_sqs::Client, prefix: &str) {
    match client.list_queues().queue_name_prefix(prefix).send().await {
        Ok(listed) => {
            for url in listed.queue_urls() {
                if let Err(err) = client.delete_queue().queue_url(url).send().await {
                    eprintln!("cleanup DeleteQueue {url}: {}", DisplayErrorContext(err));
                }
            }
        }
        Err(err) => eprintln!("cleanup ListQueues {prefix}: {}", DisplayErrorContext(err)),
    }
}

#[tokio::test]
async fn reads_queues_without_changing_them() {
    require_moto();
    let client = admin(MOTO, "test", "test");
    let prefix = format!("plt-{}-", random_suffix());
    let body = AssertUnwindSafe(live_queues(&client, &prefix)).catch_unwind().await;
    delete_queues(&client, &prefix).await;
    if let Err(panic) = body {
        std::panic::resume_unwind(panic);
    }
}

async fn live_queues(client: &aws_sdk_sqs::Client, prefix: &str) {
    let name = |n: &str| format!("{prefix}{n}");
    let dlq = create(client, &name("orders-dlq"), &[]).await;
    let dlq_arn = attribute(client, &dlq, Attr::QueueArn).await;
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "4"}).to_string();
    let orders = create(
        client,
        &name("orders"),
        &[
            (Attr::RedrivePolicy, redrive),
            (Attr::VisibilityTimeout, "45".into()),
            (Attr::MessageRetentionPeriod, "86400".into()),
        ],
    )
    .await;
    let open_policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Open", "Effect": "Allow",
        "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]})
    .to_string();
    let public =
        create(client, &name("public"), &[(Attr::Policy, open_policy), (Attr::VisibilityTimeout, "600".into())]).await;
    let fifo = create(
        client,
        &name("jobs.fifo"),
        &[(Attr::FifoQueue, "true".into()), (Attr::ContentBasedDeduplication, "true".into())],
    )
    .await;
    let kms = create(client, &name("kms"), &[(Attr::KmsMasterKeyId, "alias/plumbline-test".into())]).await;
    let sse = create(client, &name("sse"), &[(Attr::SqsManagedSseEnabled, "true".into())]).await;
    for n in 0..3 {
        client.send_message().queue_url(&orders).message_body(format!("order {n}")).send().await.expect("send");
    }
    client.send_message().queue_url(&dlq).message_body("failed order").send().await.expect("send");
    client.send_message().queue_url(&kms).message_body("later").delay_seconds(600).send().await.expect("send");
    // The application holds one message of `public` (setup, before the measurement).
    for n in 0..2 {
        client.send_message().queue_url(&public).message_body(format!("m{n}")).send().await.expect("send");
    }
    let received = client.receive_message().queue_url(&public).max_number_of_messages(1).send().await.expect("receive");
    assert_eq!(received.messages().len(), 1);

    let urls = vec![dlq.clone(), orders.clone(), public.clone(), fifo.clone(), kms.clone(), sse.clone()];
    let before = depths(client, &urls).await;

    let mut settings = source(MOTO);
    settings.queue_name_prefix = Some(prefix.to_string());
    settings.page_size = 2; // moto answers with every queue anyway: paging is shown against `fake`
    let started = Instant::now();
    let collected = collect(&settings).await.expect("collects");
    eprintln!("collected {} queues in {:?}", collected.data.queues.len(), started.elapsed());

    let after = depths(client, &urls).await;
    assert_eq!(before, after, "collecting changed queue depths");
    let listed_after = client.list_queues().queue_name_prefix(prefix).send().await.expect("list");
    assert_eq!(listed_after.queue_urls().len(), 6, "collecting changed the queues");

    assert!(collected.problems.is_empty(), "{:?}", collected.problems);
    let account = collected.data;
    assert_eq!((account.source.as_str(), account.region.as_str()), ("sqs-test", "us-east-1"));
    assert_eq!(account.endpoint, MOTO);
    let names: Vec<&str> = account.queues.iter().map(|q| q.name.as_str()).collect();
    let expected: Vec<String> = ["jobs.fifo", "kms", "orders", "orders-dlq", "public", "sse"].map(name).to_vec();
    assert_eq!(names, expected);
    let queue = |n: &str| account.queues.iter().find(|q| q.name == name(n)).expect("queue");

    let main = queue("orders");
    assert_eq!(main.url, orders);
    assert!(main.arn.starts_with("arn:aws:sqs:us-east-1:") && main.arn.ends_with(&name("orders")), "{}", main.arn);
    assert_eq!(main.dead_letter_target_arn.as_deref(), Some(dlq_arn.as_str()));
    assert_eq!(main.max_receive_count, Some(4));
    assert_eq!((main.visibility_timeout_seconds, main.message_retention_seconds), (45, 86400));
    assert_eq!((main.messages_visible, main.messages_in_flight, main.messages_delayed), (3, 0, 0));
    assert!(main.dead_letter_sources.is_empty() && !main.fifo);
    let keys: Vec<&str> = main.attributes.iter().map(|(k, _)| k.as_str()).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "attributes sorted: {keys:?}");
    for key in
        ["QueueArn", "RedrivePolicy", "VisibilityTimeout", "MessageRetentionPeriod", "ApproximateNumberOfMessages"]
    {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }

    let dead = queue("orders-dlq");
    assert_eq!(dead.dead_letter_sources, vec![name("orders")]);
    assert_eq!((dead.dead_letter_target_arn.as_deref(), dead.max_receive_count), (None, None));
    assert_eq!(dead.messages_visible, 1);
    assert_eq!((dead.visibility_timeout_seconds, dead.message_retention_seconds), (30, 345_600));

    let open = queue("public");
    let policy: Value = serde_json::from_str(open.policy.as_deref().expect("policy")).expect("policy is JSON");
    assert_eq!(policy["Statement"][0]["Principal"], json!("*"));
    assert_eq!((open.messages_visible, open.messages_in_flight), (1, 1));
    assert_eq!(queue("orders").policy, None);

    assert!(queue("jobs.fifo").fifo);
    let encrypted = queue("kms");
    assert_eq!(encrypted.kms_master_key_id.as_deref(), Some("alias/plumbline-test"));
    assert_eq!((encrypted.messages_visible, encrypted.messages_delayed), (0, 1));
    assert!(queue("sse").sqs_managed_sse);
    assert_eq!(queue("sse").kms_master_key_id, None);
}

#[tokio::test]
async fn pages_bounds_concurrency_and_reports_unreadable_queues() {
    let mut names: Vec<String> = (0..8).map(|n| format!("app-{n:02}")).collect();
    names.extend(["app-denied".to_string(), "app-gone".to_string(), "zzz-other".to_string()]);
    let server = fake::Server::start(names).await;
    let mut settings = source(&server.endpoint);
    settings.queue_name_prefix = Some("app-".into());
    settings.page_size = 3;
    settings.concurrency = 3;
    let collected = collect(&settings).await.expect("collects");

    let pages = server.state.list_requests.lock().expect("lock").clone();
    assert_eq!(pages.len(), 4, "10 queues in pages of 3: {pages:?}");
    assert!(pages.iter().all(|p| p["MaxResults"] == json!(3) && p["QueueNamePrefix"] == json!("app-")), "{pages:?}");
    assert_eq!(pages[0].get("NextToken"), None);
    assert!(pages[1..].iter().all(|p| p["NextToken"].is_string()), "{pages:?}");
    let actions = server.state.actions.lock().expect("lock").clone();
    assert!(actions.iter().all(|a| a == "ListQueues" || a == "GetQueueAttributes"), "read-only: {actions:?}");
    let peak = server.state.peak_in_flight.load(std::sync::atomic::Ordering::SeqCst);
    assert!((2..=3).contains(&peak), "GetQueueAttributes in flight at once: {peak}");

    let account = collected.data;
    assert_eq!(account.endpoint, server.endpoint);
    let found: Vec<&str> = account.queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(found, (0..8).map(|n| format!("app-{n:02}")).collect::<Vec<_>>(), "gone and denied left out");
    let main = account.queues.iter().find(|q| q.name == "app-01").expect("app-01");
    assert_eq!(
        (main.dead_letter_target_arn.as_deref(), main.max_receive_count),
        (Some(fake::arn("app-00").as_str()), Some(5))
    );
    let dlq = account.queues.iter().find(|q| q.name == "app-00").expect("app-00");
    assert_eq!(dlq.dead_letter_sources, vec!["app-01".to_string()]);
    assert_eq!(collected.problems.len(), 1, "{:?}", collected.problems);
    let problem = &collected.problems[0];
    assert!(problem.contains("`app-denied`") && problem.contains("AccessDenied"), "{problem}");
}

#[tokio::test]
async fn unreachable_endpoint_is_a_connect_error() {
    let started = Instant::now();
    match collect(&source("http://127.0.0.1:1")).await {
        Err(err @ CollectError::Connect { .. }) => {
            eprintln!("{err}");
            let CollectError::Connect { target, reason } = err else { unreachable!() };
            assert_eq!(target, "http://127.0.0.1:1");
            assert!(!reason.is_empty());
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
}

#[tokio::test]
async fn silent_endpoint_fails_within_the_request_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // accepted, never answered
        }
    });
    let mut settings = source(&endpoint);
    settings.request_timeout_seconds = 2;
    let started = Instant::now();
    let result = collect(&settings).await;
    let elapsed = started.elapsed();
    silent.abort();
    match result {
        Err(err @ CollectError::Connect { .. }) => {
            eprintln!("{err}");
            let CollectError::Connect { target, reason } = err else { unreachable!() };
            assert_eq!(target, endpoint);
            assert!(reason.contains("no answer within 2 s"), "{reason}");
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
}

/// A moto_server with IAM enforced after the first `free` requests; killed when dropped.
struct AuthMoto {
    child: std::process::Child,
    endpoint: String,
}

impl AuthMoto {
    async fn start(free: u32) -> AuthMoto {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let child = std::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("INITIAL_NO_AUTH_ACTION_COUNT", free.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start `moto_server` ({err}): install it with `scripts/dev test` (scripts/setup.sh servers)"
                )
            });
        let moto = AuthMoto { child, endpoint: format!("http://127.0.0.1:{port}") };
        // Only TCP connects while waiting: every HTTP request would use up a free action.
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start on port {port}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        moto
    }

    /// An unsigned IAM Query call (accepted while free actions remain).
    async fn iam(&self, form: &[(&str, &str)]) -> String {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/iam/aws4_request, \
                    SignedHeaders=host, Signature=00";
        let response = reqwest::Client::new()
            .post(format!("{}/", self.endpoint))
            .header("Authorization", auth)
            .form(form)
            .send()
            .await
            .expect("IAM call");
        assert!(response.status().is_success(), "IAM {form:?}: {}", response.status());
        response.text().await.expect("IAM body")
    }
}

impl Drop for AuthMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn xml_value<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = xml.find(&open).map(|i| i + open.len()).unwrap_or_else(|| panic!("<{tag}> in {xml}"));
    let end = xml[start..].find("</").map(|i| start + i).expect("closing tag");
    &xml[start..end]
}

#[tokio::test]
async fn refused_credentials_are_auth_errors_without_the_secret() {
    let moto = AuthMoto::start(3).await;
    const USER: (&str, &str) = ("UserName", "plumbline-auditor");
    const VERSION: (&str, &str) = ("Version", "2010-05-08");
    moto.iam(&[VERSION, USER, ("Action", "CreateUser")]).await;
    let key = moto.iam(&[VERSION, USER, ("Action", "CreateAccessKey")]).await;
    let (key_id, secret) = (xml_value(&key, "AccessKeyId"), xml_value(&key, "SecretAccessKey"));
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sqs:GetQueueAttributes", "Resource": "*"}]})
    .to_string();
    moto.iam(&[
        VERSION,
        USER,
        ("Action", "PutUserPolicy"),
        ("PolicyName", "sqs-no-attributes"),
        ("PolicyDocument", &policy),
    ])
    .await;
    create(&admin(&moto.endpoint, key_id, secret), "plt-auth-queue", &[]).await;

    // Unknown key, then the right key with a wrong secret.
    // (moto refuses a session token with a user's key before checking the signature.)
    let cases = [
        ("AKIAPLUMBLINEUNKNOWN", Some(format!("{CANARY}-token")), "InvalidClientTokenId"),
        (key_id, None, "SignatureDoesNotMatch"),
    ];
    for (id, token, expected) in cases {
        let mut settings = source(&moto.endpoint);
        settings.access_key_id = Some(id.into());
        settings.secret_access_key = Some(CANARY.into());
        settings.session_token = token;
        let err = collect(&settings).await.expect_err("refused");
        match &err {
            CollectError::Auth { target, reason } => {
                assert_eq!(target, &moto.endpoint);
                assert!(reason.contains(expected), "{id}: {reason}");
            }
            other => panic!("{id}: expected an auth error, got {other:?}"),
        }
        for text in [err.to_string(), format!("{err:?}"), format!("{settings:?}")] {
            assert!(!text.contains(CANARY), "{text}");
        }
    }

    // Accepted credentials that may list but not read attributes: a problem, not a failure.
    let mut settings = source(&moto.endpoint);
    settings.access_key_id = Some(key_id.into());
    settings.secret_access_key = Some(secret.into());
    let collected = collect(&settings).await.expect("listing works");
    assert!(collected.data.queues.is_empty());
    assert_eq!(collected.problems.len(), 1, "{:?}", collected.problems);
    assert!(
        collected.problems[0].contains("`plt-auth-queue`") && collected.problems[0].contains("AccessDenied"),
        "{:?}",
        collected.problems
    );
}

#[tokio::test]
async fn missing_credentials_are_an_auth_error() {
    let mut settings = source(MOTO);
    settings.access_key_id = None;
    settings.secret_access_key = None;
    settings.profile = Some(format!("plumbline-test-missing-{}", random_suffix()));
    match collect(&settings).await {
        Err(CollectError::Auth { target, reason }) => {
            assert_eq!(target, MOTO);
            assert!(reason.contains("no AWS credentials from profile `plumbline-test-missing-"), "{reason}");
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_settings_are_settings_errors() {
    let mut settings = source(MOTO);
    settings.secret_access_key = Some("${PLUMBLINE_TEST_SURELY_UNSET_SQS_SECRET}".into());
    let err = collect(&settings).await.expect_err("unset variable");
    assert!(matches!(&err, CollectError::Settings(m) if m.contains("sources.sqs.secret-access-key")), "{err:?}");

    let mut settings = source(MOTO);
    settings.secret_access_key = None;
    assert!(matches!(collect(&settings).await, Err(CollectError::Settings(_))));

    let mut settings = source(MOTO);
    (settings.access_key_id, settings.secret_access_key, settings.session_token) = (None, None, Some("t".into()));
    assert!(matches!(collect(&settings).await, Err(CollectError::Settings(_))));

    let changes: [fn(&mut SqsSource); 5] = [
        |s: &mut SqsSource| s.page_size = 1001,
        |s: &mut SqsSource| s.concurrency = 0,
        |s: &mut SqsSource| s.request_timeout_seconds = 0,
        |s: &mut SqsSource| s.max_attempts = 11,
        |s: &mut SqsSource| s.endpoint_url = Some("127.0.0.1:15000".into()),
    ];
    for change in changes {
        let mut settings = source(MOTO);
        change(&mut settings);
        assert!(matches!(collect(&settings).await, Err(CollectError::Settings(_))), "{settings:?}");
    }
}

#[test]
fn settings_from_toml() {
    let text = r#"
        name = "sqs-prod"
        region = "eu-west-1"
        access-key-id = "${AWS_ACCESS_KEY_ID}"
        secret-access-key = "${AWS_SECRET_ACCESS_KEY}"
    "#;
    let settings: SqsSource = toml::from_str(text).expect("parses");
    assert_eq!((settings.page_size, settings.concurrency), (1000, 8));
    assert_eq!((settings.request_timeout_seconds, settings.max_attempts), (10, 3));
    assert_eq!((settings.endpoint_url.as_deref(), settings.profile.as_deref()), (None, None));
    assert!(toml::from_str::<SqsSource>(&format!("{text}\nqueues = []")).is_err(), "unknown keys refused");
    let minimal: SqsSource = toml::from_str("name = \"sqs\"").expect("only a name");
    assert_eq!((minimal.region, minimal.access_key_id), (None, None));
    let shown = format!(
        "{:?}",
        SqsSource { secret_access_key: Some(CANARY.into()), session_token: Some(CANARY.into()), ..settings }
    );
    assert!(!shown.contains(CANARY), "{shown}");
}

#[tokio::test]
async fn default_endpoints_follow_the_region() {
    assert_eq!(client::expected_endpoint("eu-west-1", None).await, "https://sqs.eu-west-1.amazonaws.com");
    assert_eq!(client::expected_endpoint("cn-north-1", None).await, "https://sqs.cn-north-1.amazonaws.com.cn");
    assert_eq!(client::expected_endpoint("us-east-1", Some("http://127.0.0.1:4566/")).await, "http://127.0.0.1:4566");
}

#[test]
fn redrive_policies_parse() {
    let arn = "arn:aws:sqs:eu-west-1:111122223333:jobs-dlq";
    for text in [
        format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":5}}"#),
        format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"5"}}"#),
    ] {
        assert_eq!(queue::parse_redrive(&text), Ok((Some(arn.to_string()), Some(5))), "{text}");
    }
    assert_eq!(queue::parse_redrive("{}"), Ok((None, None)));
    assert!(queue::parse_redrive("not json").is_err());
    assert!(queue::parse_redrive(r#"{"maxReceiveCount":"many"}"#).is_err());
    assert!(queue::parse_redrive(r#"{"maxReceiveCount":-1}"#).is_err());
}

#[test]
fn attributes_become_a_queue() {
    let attrs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let (bare, notes) = queue::from_attributes("bare", "http://h/1/bare", attrs(&[("QueueArn", "arn:x:bare")]));
    assert!(notes.is_empty());
    assert_eq!((bare.visibility_timeout_seconds, bare.message_retention_seconds), (30, 345_600));
    assert_eq!((bare.fifo, bare.sqs_managed_sse, bare.kms_master_key_id, bare.policy), (false, false, None, None));

    let (odd, notes) = queue::from_attributes(
        "odd.fifo",
        "http://h/1/odd.fifo",
        attrs(&[("VisibilityTimeout", "soon"), ("RedrivePolicy", "{"), ("KmsMasterKeyId", ""), ("Policy", " ")]),
    );
    assert!(odd.fifo && odd.kms_master_key_id.is_none() && odd.policy.is_none());
    assert_eq!(odd.visibility_timeout_seconds, 30);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(odd.attributes.len(), 4, "every attribute kept as returned");

    assert_eq!(queue::name_from_url("https://sqs.eu-west-1.amazonaws.com/111122223333/jobs.fifo"), "jobs.fifo");
}

#[test]
fn dead_letter_sources_are_linked_by_arn() {
    let make = |name: &str, target: Option<&str>| {
        let mut q = queue::from_attributes(name, name, BTreeMap::from([("QueueArn".into(), format!("arn:{name}"))])).0;
        q.dead_letter_target_arn = target.map(str::to_string);
        q
    };
    let mut queues = vec![make("dlq", None), make("b", Some("arn:dlq")), make("a", Some("arn:dlq")), make("c", None)];
    queue::link_dead_letter_sources(&mut queues);
    assert_eq!(queues[0].dead_letter_sources, vec!["a".to_string(), "b".to_string()]);
    assert!(queues[1..].iter().all(|q| q.dead_letter_sources.is_empty()));
}

#[test]
fn unreadable_queues_share_a_problem() {
    let names: Vec<String> = (0..7).map(|n| format!("q{n}")).collect();
    let text = unread(&names, "AccessDenied: no");
    assert_eq!(
        text,
        "GetQueueAttributes failed for 7 queues (`q0`, `q1`, `q2`, `q3`, `q4` and 2 more): AccessDenied: no"
    );
    assert_eq!(scrub("a hunter2 b", &["hunter2".into(), String::new()]), "a <redacted> b");
}
