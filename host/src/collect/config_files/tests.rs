//! The collector end to end: sample files written into a temporary directory.

use std::path::Path;

use super::*;
use crate::contract::estate::Redaction;
use crate::snapshot::REDACTED;

fn write(base: &Path, relative: &str, text: &str) {
    let path = base.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn source(base: &Path, paths: &[&str]) -> ConfigFilesSource {
    ConfigFilesSource {
        name: "files".into(),
        paths: paths.iter().map(|p| p.to_string()).collect(),
        service: None,
        base_dir: Some(base.to_path_buf()),
    }
}

fn entry<'a>(file: &'a ConfigFile, key: &str) -> &'a ConfigEntry {
    file.entries.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("no `{key}` in {}", file.path))
}

fn secret(kind: &str, plaintext: bool) -> Option<Redaction> {
    Some(Redaction { kind: kind.into(), plaintext })
}

const APPLICATION_YML: &str = "\
spring:
  application:
    name: payment-service
  datasource:
    url: jdbc:postgresql://app:db-pass-1@db.internal:5432/payments
    username: app
    password: hunter2
  rabbitmq:
    password: ${RABBITMQ_PASSWORD}
  kafka:
    bootstrap-servers:
      - kafka-1:9092
      - kafka-2:9092
    consumer:
      enable-auto-commit: true
---
server:
  port: 8443
";

#[tokio::test]
async fn reads_a_spring_application_yml() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "payment-service/config/application.yml", APPLICATION_YML);
    let got = collect(&source(dir.path(), &["payment-service/config/application.yml"])).await.unwrap();
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    let file = &got.data[0];
    assert_eq!(file.format, "spring-yaml");
    assert_eq!(file.service.as_deref(), Some("payment-service"));
    assert_eq!(file.path, dir.path().join("payment-service/config/application.yml").display().to_string());

    let name = entry(file, "spring.application.name");
    assert_eq!((name.value.as_str(), name.line, &name.secret), ("payment-service", 3, &None));
    let url = entry(file, "spring.datasource.url");
    assert_eq!(url.value, format!("jdbc:postgresql://app:{REDACTED}@db.internal:5432/payments"));
    assert_eq!((url.line, &url.secret), (5, &secret("url-credentials", true)));
    let password = entry(file, "spring.datasource.password");
    assert_eq!((password.value.as_str(), password.line), (REDACTED, 7));
    assert_eq!(password.secret, secret("password", true));
    let reference = entry(file, "spring.rabbitmq.password");
    assert_eq!((reference.value.as_str(), reference.line), ("${RABBITMQ_PASSWORD}", 9));
    assert_eq!(reference.secret, secret("password", false));
    assert_eq!(entry(file, "spring.kafka.bootstrap-servers[0]").line, 12);
    assert_eq!(entry(file, "spring.kafka.bootstrap-servers[1]").value, "kafka-2:9092");
    assert_eq!(entry(file, "spring.kafka.consumer.enable-auto-commit").value, "true");
    let port = entry(file, "server.port");
    assert_eq!((port.value.as_str(), port.line), ("8443", 18));
    assert_eq!(file.entries.len(), 9);
}

#[tokio::test]
async fn reads_kafka_and_plain_properties() {
    let dir = tempfile::tempdir().unwrap();
    let consumer = "# consumer\nbootstrap.servers=kafka-1:9092,kafka-2:9092\ngroup.id = warehouse-sync\n\
        enable.auto.commit: false\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n    \
        username=\"wh\" \\\n    password=\"jaas-pass-1\";\n! done\nmax.poll.records 500\n";
    write(dir.path(), "warehouse-sync/consumer.properties", consumer);
    write(dir.path(), "billing/config/app.properties", "server.port=8080\n");
    let got = collect(&source(dir.path(), &["**/*.properties"])).await.unwrap();
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    let (plain, kafka) = (&got.data[0], &got.data[1]);
    assert_eq!((plain.format.as_str(), plain.service.as_deref()), ("properties", Some("billing")));
    assert_eq!((kafka.format.as_str(), kafka.service.as_deref()), ("kafka-properties", Some("warehouse-sync")));
    let keys: Vec<(&str, u32)> = kafka.entries.iter().map(|e| (e.key.as_str(), e.line)).collect();
    assert_eq!(
        keys,
        [
            ("bootstrap.servers", 2),
            ("group.id", 3),
            ("enable.auto.commit", 4),
            ("sasl.jaas.config", 5),
            ("max.poll.records", 9)
        ]
    );
    assert_eq!(entry(kafka, "group.id").value, "warehouse-sync");
    assert_eq!(entry(kafka, "enable.auto.commit").value, "false");
    assert_eq!(entry(kafka, "max.poll.records").value, "500");
    let jaas = entry(kafka, "sasl.jaas.config");
    assert_eq!((jaas.value.as_str(), &jaas.secret), (REDACTED, &secret("jaas", true)));
}

#[tokio::test]
async fn reads_a_dotenv_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = "# local\nexport DB_HOST=db.internal\nDB_PASSWORD=\"env pass 1\"\nAPI_URL='https://api.example.com'\n\
        GREETING=\"hello world\" # note\nAPI_TOKEN=${VAULT_TOKEN}\n";
    write(dir.path(), "orders/.env", text);
    let got = collect(&source(dir.path(), &["orders/.env"])).await.unwrap();
    let file = &got.data[0];
    assert_eq!((file.format.as_str(), file.service.as_deref()), ("env", Some("orders")));
    let host = entry(file, "DB_HOST");
    assert_eq!((host.value.as_str(), host.line), ("db.internal", 2));
    let password = entry(file, "DB_PASSWORD");
    assert_eq!((password.value.as_str(), password.line, &password.secret), (REDACTED, 3, &secret("password", true)));
    assert_eq!(entry(file, "API_URL").value, "https://api.example.com");
    assert_eq!(entry(file, "GREETING").value, "hello world");
    let token = entry(file, "API_TOKEN");
    assert_eq!((token.value.as_str(), &token.secret), ("${VAULT_TOKEN}", &secret("token", false)));
}

#[tokio::test]
async fn reads_a_toml_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = "title = \"worker\"\n[database]\nurl = \"postgres://svc:toml-pass-1@db/app\"\npool = { max = 10 }\n\n\
        [[consumers]]\nqueue = \"orders\"\n[[consumers]]\nqueue = \"payments\"\n";
    write(dir.path(), "worker/worker.toml", text);
    let got = collect(&source(dir.path(), &["worker/*.toml"])).await.unwrap();
    let file = &got.data[0];
    assert_eq!((file.format.as_str(), file.service.as_deref()), ("toml", Some("worker")));
    let found: Vec<(&str, &str, u32)> =
        file.entries.iter().map(|e| (e.key.as_str(), e.value.as_str(), e.line)).collect();
    assert_eq!(
        found,
        [
            ("title", "worker", 1),
            ("database.url", "postgres://svc:<redacted>@db/app", 3),
            ("database.pool.max", "10", 4),
            ("consumers[0].queue", "orders", 7),
            ("consumers[1].queue", "payments", 9),
        ]
    );
    assert_eq!(entry(file, "database.url").secret, secret("url-credentials", true));
}

#[tokio::test]
async fn globs_walk_a_directory_tree() {
    let dir = tempfile::tempdir().unwrap();
    for path in ["services/a/config/application.yml", "services/b/config/application-prod.yaml", "services/c/x/y/z.yml"]
    {
        write(dir.path(), path, "k: v\n");
    }
    write(dir.path(), "services/.github/workflows/ci.yml", "on: push\n");
    write(dir.path(), "services/a/README.md", "# no\n");
    let patterns = ["services/**/*.yml", "services/*/config/application*.y*ml", "services/**", "nothing/**/*.toml"];
    let got = collect(&source(dir.path(), &patterns)).await.unwrap();
    let found: Vec<(String, &str, Option<&str>)> = got
        .data
        .iter()
        .map(|f| {
            let relative = Path::new(&f.path).strip_prefix(dir.path()).unwrap().display().to_string();
            (relative, f.format.as_str(), f.service.as_deref())
        })
        .collect();
    assert_eq!(
        found,
        [
            (String::from("services/a/config/application.yml"), "spring-yaml", Some("a")),
            (String::from("services/c/x/y/z.yml"), "yaml", Some("y")),
            (String::from("services/b/config/application-prod.yaml"), "spring-yaml", Some("b")),
        ]
    );
    assert_eq!(got.problems, ["no file matches `nothing/**/*.toml`"]);
}

#[tokio::test]
async fn a_broken_file_is_a_problem_and_the_others_still_load() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "svc/broken.yml", "a: 1\nb: [unclosed\nc: 2\n");
    write(dir.path(), "svc/good.properties", "a=1\n");
    write(dir.path(), "svc/notes.txt", "hello\n");
    let got = collect(&source(dir.path(), &["svc/*", "svc/notes.txt", "svc/missing.yml"])).await.unwrap();
    assert_eq!(got.data.len(), 1);
    assert_eq!(got.data[0].entries[0].key, "a");
    let broken = dir.path().join("svc/broken.yml").display().to_string();
    assert_eq!(got.problems.len(), 3, "{:?}", got.problems);
    assert!(got.problems[0].contains("not recognised") && got.problems[0].contains("notes.txt"), "{:?}", got.problems);
    assert_eq!(got.problems[1], "no file matches `svc/missing.yml`");
    assert!(got.problems[2].starts_with(&format!("{broken}: invalid YAML: ")), "{:?}", got.problems);
    assert!(got.problems[2].contains("line"), "{:?}", got.problems);
}

#[tokio::test]
async fn no_file_at_all_is_still_a_result() {
    let dir = tempfile::tempdir().unwrap();
    let got = collect(&source(dir.path(), &["missing.yml", "*.toml"])).await.unwrap();
    assert!(got.data.is_empty());
    assert_eq!(got.problems, ["no file matches `missing.yml`", "no file matches `*.toml`"]);
}

#[tokio::test]
async fn the_source_service_and_settings_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x/config/application.yml", "a: 1\n");
    let mut settings = source(dir.path(), &["x/config/application.yml"]);
    settings.service = Some("orders".into());
    let got = collect(&settings).await.unwrap();
    assert_eq!(got.data[0].service.as_deref(), Some("orders"));

    settings.base_dir = Some(dir.path().join("nope"));
    assert!(matches!(collect(&settings).await, Err(CollectError::Settings(m)) if m.contains("base-dir")));
    settings.paths.clear();
    assert!(matches!(collect(&settings).await, Err(CollectError::Settings(m)) if m.contains("`paths` is empty")));
}

#[test]
fn settings_deserialize_in_kebab_case() {
    let text = "name = \"apps\"\npaths = [\"a/*.yml\"]\nservice = \"orders\"\nbase-dir = \"/srv\"\n";
    let source: ConfigFilesSource = toml::from_str(text).unwrap();
    assert_eq!((source.name.as_str(), source.paths.len()), ("apps", 1));
    assert_eq!((source.service.as_deref(), source.base_dir.as_deref()), (Some("orders"), Some(Path::new("/srv"))));
    assert!(toml::from_str::<ConfigFilesSource>("name = \"a\"\npaths = []\nbasedir = \"x\"\n").is_err());
}

#[test]
fn services_come_from_the_path() {
    let service = |p: &str| service_from_path(Path::new(p));
    assert_eq!(service("/srv/payment-service/config/application.yml").as_deref(), Some("payment-service"));
    assert_eq!(service("/srv/payment-service/config/prod/application.yml").as_deref(), Some("payment-service"));
    assert_eq!(service("/repo/billing/src/main/resources/config/application.yml").as_deref(), Some("billing"));
    assert_eq!(service("/srv/wms-bridge/producer.properties").as_deref(), Some("wms-bridge"));
}

/// A unique secret planted in every format must not appear anywhere in what is returned.
#[tokio::test]
async fn planted_secrets_never_come_back() {
    const CANARY: &str = "CANARY-5f1c9e";
    let dir = tempfile::tempdir().unwrap();
    let c = CANARY;
    let files = [
        (
            "a/application.yml",
            format!(
                "db:\n  password: {c}\n  url: jdbc:mysql://u:{c}@h/db\nkey: |\n  -----BEGIN PRIVATE KEY-----\n  {c}\n  -----END PRIVATE KEY-----\nlist:\n  - secret: {c}\n"
            ),
        ),
        ("a/other.yaml", format!("anchors:\n  token: &t {c}\nreuse:\n  api-key: *t\n")),
        (
            "a/client.properties",
            format!(
                "bootstrap.servers=k:9092\nsasl.jaas.config=PlainLoginModule required \\\n  password=\"{c}\";\nssl.key.password={c}\n"
            ),
        ),
        (
            "a/.env",
            format!(
                "export SECRET_KEY={c}\nDB_PWD=\"{c}\"\nDATABASE_URL=postgres://u:{c}@h/db\nPRIVATE_KEY=\"-----BEGIN KEY-----\n{c}\n-----END KEY-----\"\n"
            ),
        ),
        ("a/app.toml", format!("[auth]\ntoken = \"{c}\"\nurl = \"amqp://u:{c}@mq/\"\n")),
        ("a/broken.toml", format!("password = \"{c}\nx = = 1\n")),
        ("a/broken.yml", format!("password: [{c}\n")),
        ("a/broken.properties", format!("password={c}\\\n")),
    ];
    for (path, text) in &files {
        write(dir.path(), path, text);
    }
    let got = collect(&source(dir.path(), &["a/*", "a/.env"])).await.unwrap();
    assert_eq!(got.data.len(), 6, "{:?}", got.problems);
    assert_eq!(got.problems.len(), 2, "{:?}", got.problems);
    let debug = format!("{got:?}");
    let json = serde_json::to_string(&got.data).unwrap();
    assert!(!debug.contains(CANARY), "{debug}");
    assert!(!json.contains(CANARY), "{json}");
    assert!(!got.problems.join("\n").contains(CANARY));
    let redacted = got.data.iter().flat_map(|f| &f.entries).filter(|e| e.secret.as_ref().is_some_and(|s| s.plaintext));
    assert_eq!(redacted.count(), 15);
}
