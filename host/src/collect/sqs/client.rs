//! The aws-sdk-sqs client of one source: region, endpoint, credentials, time limits and retries,
//! plus the classification of SDK errors into what the collector reports.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_sdk_sqs::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use aws_sdk_sqs::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::config::timeout::TimeoutConfig;
use aws_sdk_sqs::config::{
    ConfigBag, Credentials, Intercept, ProvideCredentials, Region, RuntimeComponents, SharedHttpClient,
};
use aws_sdk_sqs::error::{BoxError, ProvideErrorMetadata, SdkError};

use super::{SqsSource, scrub};
use crate::collect::{CollectError, display_url, expand_env};

/// Region used when neither the settings nor the standard chain name one.
pub(super) const FALLBACK_REGION: &str = "us-east-1";

/// A ready client and what is known about where it points.
pub(super) struct Target {
    pub client: aws_sdk_sqs::Client,
    pub region: String,
    /// The endpoint expected from the region (or the override): shown until a request was sent.
    pub expected_endpoint: String,
    /// The endpoint a request was actually sent to (scheme, host, port, path).
    pub seen: SeenEndpoint,
    /// Texts that must never appear in a message: the secret key and the session token.
    pub secrets: Vec<String>,
    pub request_timeout: Duration,
}

impl Target {
    /// The endpoint requests go to: the one seen on the wire, else the expected one.
    pub fn endpoint(&self) -> String {
        self.seen.get().unwrap_or_else(|| self.expected_endpoint.clone())
    }

    pub fn scrub(&self, text: &str) -> String {
        scrub(text, &self.secrets)
    }
}

/// Builds the client: settings first, then the standard AWS chains; resolves the credentials
/// once (so missing credentials are an [`CollectError::Auth`] before any request).
pub(super) async fn connect(source: &SqsSource) -> Result<Target, CollectError> {
    let setting = |key: &str| format!("sources.sqs.{key}");
    let expand = |value: &Option<String>, key: &str| value.as_deref().map(|v| expand_env(v, &setting(key))).transpose();
    let access_key = expand(&source.access_key_id, "access-key-id")?;
    let secret_key = expand(&source.secret_access_key, "secret-access-key")?;
    let session_token = expand(&source.session_token, "session-token")?;
    let secrets: Vec<String> =
        [&secret_key, &session_token].into_iter().flatten().filter(|s| !s.is_empty()).cloned().collect();
    let endpoint_url =
        source.endpoint_url.as_deref().map(|url| expand_env(url, &setting("endpoint-url"))).transpose()?;
    if let Some(url) = &endpoint_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(CollectError::Settings(format!(
            "sources.sqs.endpoint-url: `{}` is not an http:// or https:// URL",
            display_url(url)
        )));
    }
    let request_timeout = Duration::from_secs(source.request_timeout_seconds);

    // The HTTP client goes on the shared config, so the credential providers (IMDS, ECS, SSO,
    // STS web identity) use it as well as the SQS client.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(timeouts(request_timeout))
        .retry_config(
            RetryConfig::standard().with_max_attempts(source.max_attempts).with_max_backoff(Duration::from_secs(2)),
        );
    if let Some(region) = &source.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &source.profile {
        loader = loader.profile_name(profile);
    }
    match (access_key, secret_key) {
        (Some(id), Some(secret)) => {
            loader = loader.credentials_provider(Credentials::new(id, secret, session_token, None, "plumbline.toml"));
        }
        (None, None) if session_token.is_some() => {
            return Err(CollectError::Settings(
                "sources.sqs: session-token needs access-key-id and secret-access-key".into(),
            ));
        }
        (None, None) => {
            if let Some(profile) = &source.profile {
                // An explicit profile wins over the environment, as `aws --profile` does.
                loader = loader
                    .credentials_provider(ProfileFileCredentialsProvider::builder().profile_name(profile).build());
            }
        }
        _ => {
            return Err(CollectError::Settings("sources.sqs: access-key-id and secret-access-key go together".into()));
        }
    }
    let sdk = loader.load().await;
    let region = sdk.region().map(|r| r.as_ref().to_string()).unwrap_or_else(|| FALLBACK_REGION.to_string());
    let override_url = endpoint_url.clone().or_else(|| sdk.endpoint_url().map(str::to_string));
    let expected_endpoint = expected_endpoint(&region, override_url.as_deref()).await;
    let scrubbed = |text: String| scrub(&text, &secrets);

    let provider = sdk.credentials_provider().ok_or_else(|| CollectError::Auth {
        target: expected_endpoint.clone(),
        reason: "no AWS credentials configured".into(),
    })?;
    let tried = match &source.profile {
        Some(profile) => format!("from profile `{profile}`"),
        None => "from the standard chain (environment, shared files, web identity, ECS, instance metadata)".into(),
    };
    let credentials = provider.provide_credentials().await.map_err(|err| CollectError::Auth {
        target: expected_endpoint.clone(),
        reason: scrubbed(format!("no AWS credentials {tried}: {}", chain(&err))),
    })?;
    tracing::debug!(%region, endpoint = %expected_endpoint, access_key = credentials.access_key_id(), "sqs client ready");

    let seen = SeenEndpoint::default();
    let mut config = aws_sdk_sqs::config::Builder::from(&sdk)
        .region(Region::new(region.clone()))
        .credentials_provider(credentials)
        .interceptor(seen.clone());
    if let Some(url) = &endpoint_url {
        config = config.endpoint_url(url);
    }
    let client = aws_sdk_sqs::Client::from_conf(config.build());
    Ok(Target { client, region, expected_endpoint, seen, secrets, request_timeout })
}

/// The SDK's HTTPS client: hyper 1 and rustls with ring. It is built as the SDK's own default
/// client (aws-smithy-runtime's `default-https-client`) is — connect and read timeouts from the
/// client's settings, the runtime's sleep, proxies from HTTP_PROXY / HTTPS_PROXY / NO_PROXY, one
/// cached connector (and connection pool) per settings — but on ring instead of aws-lc-rs, which
/// would be a second crypto library and C build next to the ring the other collectors use.
pub(super) fn http_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder, proxy::ProxyConfig};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// A dead endpoint fails fast: connecting may take 3 s, one call (retries included) the
/// request timeout.
fn timeouts(request_timeout: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(request_timeout.min(Duration::from_secs(3)))
        .read_timeout(request_timeout)
        .operation_attempt_timeout(request_timeout)
        .operation_timeout(request_timeout)
        .build()
}

/// The URL the SDK's endpoint rules give for `region` (or the override).
pub(super) async fn expected_endpoint(region: &str, override_url: Option<&str>) -> String {
    let fallback = || {
        override_url
            .map(|u| display_url(u).trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("https://sqs.{region}.amazonaws.com"))
    };
    let Ok(params) = Params::builder()
        .region(region)
        .use_fips(false)
        .use_dual_stack(false)
        .set_endpoint(override_url.map(str::to_string))
        .build()
    else {
        return fallback();
    };
    match DefaultResolver::new().resolve_endpoint(&params).await {
        Ok(endpoint) => display_url(endpoint.url()).trim_end_matches('/').to_string(),
        Err(_) => fallback(),
    }
}

/// Records the endpoint of the first request sent (scheme, authority and path prefix).
#[derive(Debug, Clone, Default)]
pub(super) struct SeenEndpoint(Arc<Mutex<Option<String>>>);

impl SeenEndpoint {
    pub fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|seen| seen.clone())
    }
}

impl Intercept for SeenEndpoint {
    fn name(&self) -> &'static str {
        "plumbline-seen-endpoint"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(mut seen) = self.0.lock()
            && seen.is_none()
        {
            let uri = context.request().uri();
            let base = uri.split(['?', '#']).next().unwrap_or(uri);
            *seen = Some(display_url(base).trim_end_matches('/').to_string());
        }
        Ok(())
    }
}

/// What a failed call means for the collection.
#[derive(Debug)]
pub(super) enum Failure {
    /// Nothing answered: connection refused, DNS, TLS, or no answer in time.
    Unreachable(String),
    /// Credentials refused or the action not permitted.
    Auth(String),
    /// The queue no longer exists (ListQueues shows deleted queues for up to 60 s).
    Gone,
    /// Anything else, with the service's code and message.
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(reason) | Failure::Auth(reason) | Failure::Other(reason) => f.write_str(reason),
            Failure::Gone => f.write_str("the queue no longer exists"),
        }
    }
}

/// Error codes that mean the credentials or their permissions were refused.
const AUTH_CODES: [&str; 14] = [
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "IncompleteSignature",
    "InvalidSecurity",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
    "InvalidSignatureException",
    "UnauthorizedOperation",
    "KMS.AccessDeniedException",
];

/// Error codes of a queue that is gone.
const GONE_CODES: [&str; 3] = ["AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue"];

/// Classifies an SDK error; `timeout` is the configured request time limit.
pub(super) fn classify<E>(err: &SdkError<E, aws_sdk_sqs::config::http::HttpResponse>, timeout: Duration) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    match err {
        SdkError::ServiceError(_) => {
            // An error body the SDK could not read (e.g. the Query protocol's XML) still names
            // its code and message.
            let body = err.raw_response().and_then(|r| r.body().bytes()).map(String::from_utf8_lossy);
            let tag = |name: &str| body.as_deref().and_then(|b| xml_tag(b, name)).unwrap_or_default().to_string();
            let code = err.code().map(str::to_string).unwrap_or_else(|| tag("Code"));
            let message = err.message().map(str::to_string).unwrap_or_else(|| tag("Message"));
            let text = match (code.is_empty(), message.is_empty()) {
                (false, false) => format!("{code}: {message}"),
                (false, true) => code.clone(),
                (true, _) => format!("HTTP {}: {message}", status.unwrap_or_default()),
            };
            if GONE_CODES.contains(&code.as_str()) {
                Failure::Gone
            } else if AUTH_CODES.contains(&code.as_str()) || (code.is_empty() && matches!(status, Some(401 | 403))) {
                Failure::Auth(text)
            } else {
                Failure::Other(text)
            }
        }
        SdkError::ResponseError(_) => {
            let text = format!("unexpected response (HTTP {}): {}", status.unwrap_or_default(), chain(err));
            if matches!(status, Some(401 | 403)) { Failure::Auth(text) } else { Failure::Other(text) }
        }
        SdkError::TimeoutError(_) => Failure::Unreachable(format!("no answer within {} s", timeout.as_secs())),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            Failure::Unreachable(format!("no answer within {} s", timeout.as_secs()))
        }
        SdkError::DispatchFailure(_) => {
            // Skip "dispatch failure": the causes say what happened.
            Failure::Unreachable(std::error::Error::source(err).map_or_else(|| err.to_string(), chain))
        }
        _ => Failure::Other(chain(err)),
    }
}

/// An error and its causes, `: `-separated, each said once.
pub(super) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(current) = next {
        let text = current.to_string();
        if !text.is_empty() && !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
        next = current.source();
    }
    parts.join(": ")
}

/// The text of the first `<name>…</name>` in `xml`, trimmed and shortened.
fn xml_tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find('<')?;
    let text = xml[start..end].trim();
    let cut = text.char_indices().nth(300).map_or(text.len(), |(i, _)| i);
    Some(&text[..cut])
}

/// Turns a failed `ListQueues` into the error of the whole source.
pub(super) fn source_error(target: &Target, failure: Failure) -> CollectError {
    let endpoint = target.endpoint();
    match failure {
        Failure::Unreachable(reason) => CollectError::Connect { target: endpoint, reason: target.scrub(&reason) },
        Failure::Auth(reason) => CollectError::Auth { target: endpoint, reason: target.scrub(&reason) },
        other => CollectError::Read(target.scrub(&format!("ListQueues on {endpoint}: {other}"))),
    }
}
