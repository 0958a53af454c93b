//! A minimal SQS endpoint (AWS JSON 1.0 over HTTP/1.1) for what moto cannot show: `ListQueues`
//! honouring `MaxResults`/`NextToken`/`QueueNamePrefix`, `GetQueueAttributes` answering slowly
//! (to count the calls in flight), `AccessDenied` for `…-denied` and `QueueDoesNotExist` for
//! `…-gone`. Every other action is recorded and refused. Listens on 127.0.0.1 only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const ACCOUNT: &str = "123456789012";

pub fn arn(name: &str) -> String {
    format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}")
}

#[derive(Default)]
pub struct State {
    /// The JSON body of every `ListQueues` request.
    pub list_requests: Mutex<Vec<Value>>,
    /// Every action called, in order.
    pub actions: Mutex<Vec<String>>,
    in_flight: AtomicUsize,
    pub peak_in_flight: AtomicUsize,
}

pub struct Server {
    pub endpoint: String,
    pub state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Serves `queues` (sorted by name). `app-01` has a redrive policy to `app-00`.
    pub async fn start(mut queues: Vec<String>) -> Server {
        queues.sort();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(State::default());
        let (shared, base) = (state.clone(), endpoint.clone());
        let queues = Arc::new(queues);
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, shared.clone(), queues.clone(), base.clone()));
            }
        });
        Server { endpoint, state, task }
    }
}

/// One keep-alive connection: request after request until the client closes it.
async fn serve(mut socket: TcpStream, state: Arc<State>, queues: Arc<Vec<String>>, base: String) {
    let mut buffer = Vec::new();
    loop {
        let Some((target, body)) = read_request(&mut socket, &mut buffer).await else { return };
        let action = target.strip_prefix("AmazonSQS.").unwrap_or(&target).to_string();
        state.actions.lock().expect("lock").push(action.clone());
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (status, extra, reply) = match action.as_str() {
            "ListQueues" => {
                state.list_requests.lock().expect("lock").push(request.clone());
                (200, "", list(&request, &queues, &base))
            }
            "GetQueueAttributes" => {
                let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                state.peak_in_flight.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                state.in_flight.fetch_sub(1, Ordering::SeqCst);
                attributes(&request)
            }
            _ => (400, "", json!({"__type": "com.amazonaws.sqs#UnsupportedOperation", "message": action})),
        };
        let body = reply.to_string();
        let head = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n{extra}\r\n",
            if status == 200 { "OK" } else { "Error" },
            body.len()
        );
        if socket.write_all(head.as_bytes()).await.is_err() || socket.write_all(body.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Reads one request: (`X-Amz-Target`, body). `None` when the connection ends.
async fn read_request(socket: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim().to_string())
    };
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let target = header("x-amz-target").unwrap_or_default();
    while buffer.len() < header_end + length {
        let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[header_end..header_end + length].to_vec();
    buffer.drain(..header_end + length);
    Some((target, body))
}

fn list(request: &Value, queues: &[String], base: &str) -> Value {
    let prefix = request["QueueNamePrefix"].as_str().unwrap_or("");
    let matching: Vec<&String> = queues.iter().filter(|q| q.starts_with(prefix)).collect();
    let size = request["MaxResults"].as_u64().map_or(1000, |n| n as usize);
    let start: usize = request["NextToken"].as_str().and_then(|t| t.strip_prefix("page-")?.parse().ok()).unwrap_or(0);
    let end = (start + size).min(matching.len());
    let urls: Vec<String> = matching[start..end].iter().map(|q| format!("{base}/{ACCOUNT}/{q}")).collect();
    let mut reply = json!({ "QueueUrls": urls });
    if end < matching.len() && request.get("MaxResults").is_some() {
        reply["NextToken"] = json!(format!("page-{end}"));
    }
    reply
}

fn attributes(request: &Value) -> (u16, &'static str, Value) {
    let url = request["QueueUrl"].as_str().unwrap_or("");
    let name = url.rsplit('/').next().unwrap_or("");
    if name.ends_with("-denied") {
        let message = format!("User is not authorized to perform sqs:GetQueueAttributes on {}", arn(name));
        return (
            403,
            "x-amzn-query-error: AccessDenied;Sender\r\n",
            json!({"__type": "com.amazon.coral.service#AccessDeniedException", "message": message}),
        );
    }
    if name.ends_with("-gone") {
        return (
            400,
            "x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender\r\n",
            json!({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."}),
        );
    }
    let mut attributes = json!({
        "QueueArn": arn(name),
        "VisibilityTimeout": "30",
        "MessageRetentionPeriod": "345600",
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "SqsManagedSseEnabled": "true",
    });
    if name == "app-01" {
        attributes["RedrivePolicy"] =
            json!(json!({"deadLetterTargetArn": arn("app-00"), "maxReceiveCount": 5}).to_string());
    }
    (200, "", json!({ "Attributes": attributes }))
}
