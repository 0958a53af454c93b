//! Where a check's stdout and stderr go: an in-memory buffer that keeps the first `cap` bytes
//! (`output-kib`) and drops the rest, counting it, so a chatty check neither fills the host's
//! memory nor fails because it printed too much (printing is not part of its verdict). The kept
//! text, and how much was dropped, is forwarded to the log after the check ends.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::async_trait;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// A capped, shareable output buffer.
#[derive(Clone)]
pub struct CappedOutput {
    buffer: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    cap: usize,
    kept: Vec<u8>,
    dropped: usize,
}

impl CappedOutput {
    pub fn new(cap: usize) -> Self {
        CappedOutput { buffer: Arc::new(Mutex::new(Captured { cap, ..Captured::default() })) }
    }

    /// Changes the cap for what is written from now on.
    pub fn set_cap(&self, cap: usize) {
        if let Ok(mut captured) = self.buffer.lock() {
            captured.cap = cap;
        }
    }

    fn push(&self, bytes: &[u8]) {
        let Ok(mut captured) = self.buffer.lock() else {
            return;
        };
        let room = captured.cap.saturating_sub(captured.kept.len());
        let take = room.min(bytes.len());
        captured.kept.extend_from_slice(&bytes[..take]);
        captured.dropped += bytes.len() - take;
    }

    /// The kept text and how many bytes were dropped.
    pub fn contents(&self) -> (String, usize) {
        match self.buffer.lock() {
            Ok(captured) => (String::from_utf8_lossy(&captured.kept).into_owned(), captured.dropped),
            Err(_) => (String::new(), 0),
        }
    }
}

impl IsTerminal for CappedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CappedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait]
impl OutputStream for CappedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

#[async_trait]
impl Pollable for CappedOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CappedOutput {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::CappedOutput;

    #[test]
    fn keeps_the_first_bytes_and_counts_the_rest() {
        let out = CappedOutput::new(5);
        out.push(b"hello world");
        out.push(b"!");
        assert_eq!(out.contents(), ("hello".to_string(), 7));
    }
}
