//! A real SMTP server (aiosmtpd, started as a child process) that records what it receives.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpServer {
    pub port: u16,
    child: Child,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("mail.jsonl");
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/suite/support/smtp_sink.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 with aiosmtpd is installed (scripts/test.sh installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP server started (is aiosmtpd installed?)"
        );
        SmtpServer {
            port,
            child,
            out,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages recorded so far. The sink appends a record and then its newline, and a
    /// long record reaches the file in several writes: bytes after the last newline are a
    /// record still being written, left for the next look.
    pub fn messages(&self) -> Vec<Value> {
        let recorded = std::fs::read(&self.out).unwrap_or_default();
        let end = recorded.iter().rposition(|&b| b == b'\n').unwrap_or(0);
        std::str::from_utf8(&recorded[..end])
            .expect("complete records are UTF-8")
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits for a message to `to` and returns it.
    pub async fn wait_for(&self, to: &str) -> Value {
        for _ in 0..400 {
            if let Some(m) = self.messages().into_iter().find(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == to))
            }) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no mail to {to} arrived; got {:?}", self.messages());
    }
}

impl SmtpServer {
    /// Waits for a message to `to` whose subject contains `subject`.
    pub async fn wait_for_subject(&self, to: &str, subject: &str) -> Value {
        for _ in 0..400 {
            if let Some(m) = self.messages().into_iter().find(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == to))
                    && m["subject"].as_str().is_some_and(|s| s.contains(subject))
            }) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "no mail to {to} about {subject:?}; got {:?}",
            self.messages()
        );
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
