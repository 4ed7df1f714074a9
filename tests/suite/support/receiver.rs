//! A webhook receiver started by the test: records every request and answers from a script
//! of status codes (then 200), optionally slowly.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("webhook bodies are JSON")
    }
}

#[derive(Default)]
struct Script {
    statuses: VecDeque<u16>,
    delay: Option<Duration>,
    got: Vec<Received>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    script: Arc<Mutex<Script>>,
    _server: Arc<tokio::task::JoinHandle<()>>,
}

async fn handle(
    State(s): State<Arc<Mutex<Script>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (status, delay) = {
        let mut s = s.lock().unwrap();
        s.got.push(Received {
            path: uri.path().to_string(),
            headers,
            body,
        });
        (s.statuses.pop_front().unwrap_or(200), s.delay)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let code = StatusCode::from_u16(status).unwrap();
    if code.is_redirection() {
        return (code, [("location", "/elsewhere")], "moved").into_response();
    }
    (code, "ok").into_response()
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::on(listener).await
    }

    pub async fn on(listener: tokio::net::TcpListener) -> Receiver {
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(Mutex::new(Script::default()));
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(script.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Receiver {
            url: format!("http://{addr}/hooks/partnerhub"),
            script,
            _server: Arc::new(server),
        }
    }

    /// The next answers, in order; 200 after them.
    pub fn answer(&self, statuses: &[u16]) {
        self.script.lock().unwrap().statuses.extend(statuses);
    }

    pub fn slow(&self, by: Duration) {
        self.script.lock().unwrap().delay = Some(by);
    }

    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().got.clone()
    }

    /// Waits until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..1200 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "the receiver got {} requests, expected {n}",
            self.received().len()
        );
    }
}
