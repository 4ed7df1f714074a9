//! List pages from a real PostgreSQL streaming replica: the test starts its own primary
//! (initdb) and a standby made with `pg_basebackup -R`, points `--database-url` at the
//! primary and `--read-database-url` at the standby, then pauses the standby's replay. The
//! lists lag (a new customer is missing from them) while a revoked grant stops at once, since
//! authorization facts are read on the primary.
//!
//! Needs PostgreSQL (`PARTNERHUB_TEST_DATABASE_URL`, as `scripts/with-postgres.sh` sets) for
//! its server binaries (`/usr/lib/postgresql/*/bin`). Without a PostgreSQL URL the test says
//! so and does nothing else: a replica is a PostgreSQL deployment's feature.

use crate::commerce::shop;
use crate::customers::customer_via;
use crate::support::TestApp;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn bindir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries in /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
        .expect("an initdb under /usr/lib/postgresql/*/bin")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL tool (as the `postgres` user when the tests run as root: initdb and
/// the server refuse root).
fn pg(tool: &Path, args: &[&str]) {
    let mut cmd = if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(tool);
        c
    } else {
        Command::new(tool)
    };
    let out = cmd.args(args).output().expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        tool.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A primary and its streaming standby, stopped (immediately) when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    primary: u16,
    standby: u16,
}

impl Cluster {
    fn start() -> Cluster {
        let bin = bindir();
        let dir = tempfile::tempdir().unwrap();
        if running_as_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let (primary, standby) = (free_port(), free_port());
        let path = |p: &str| dir.path().join(p).display().to_string();
        let sock = dir.path().display().to_string();
        pg(
            &bin.join("initdb"),
            &[
                "-D",
                &path("primary"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        let opts = |port: u16| {
            format!(
                "-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on -c max_connections=100"
            )
        };
        let start = |data: &str, log: &str, port: u16| {
            pg(
                &bin.join("pg_ctl"),
                &["-D", data, "-l", log, "-w", "-o", &opts(port), "start"],
            )
        };
        start(&path("primary"), &path("primary.log"), primary);
        pg(
            &bin.join("pg_basebackup"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary.to_string(),
                "-U",
                "postgres",
                "-D",
                &path("standby"),
                "-R",
                "-X",
                "stream",
            ],
        );
        start(&path("standby"), &path("standby.log"), standby);
        Cluster {
            bin,
            dir,
            primary,
            standby,
        }
    }

    fn url(port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }

    /// Runs one SQL statement on the standby.
    fn on_standby(&self, sql: &str) {
        pg(
            &self.bin.join("psql"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.standby.to_string(),
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for data in ["standby", "primary"] {
            let d = self.dir.path().join(data).display().to_string();
            let mut cmd = if running_as_root() {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"])
                    .arg(self.bin.join("pg_ctl"));
                c
            } else {
                Command::new(self.bin.join("pg_ctl"))
            };
            let _ = cmd.args(["-D", &d, "-m", "immediate", "stop"]).output();
        }
    }
}

/// The customer ids of the caller's first list page.
async fn listed(t: &TestApp, token: &str) -> Vec<String> {
    let (s, b) = t.get("/v1/customers?size=100", token).await;
    assert_eq!(s, 200, "{b}");
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c: &Value| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_come_from_a_lagging_replica_while_a_revoked_grant_stops_at_once() {
    match std::env::var("PARTNERHUB_TEST_DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => {}
        _ => {
            eprintln!(
                "SKIPPED lists_come_from_a_lagging_replica: set PARTNERHUB_TEST_DATABASE_URL to a \
                 PostgreSQL server (scripts/with-postgres.sh does) to run the streaming-replica test"
            );
            return;
        }
    }
    let cluster = Cluster::start();
    let (primary, standby) = (Cluster::url(cluster.primary), Cluster::url(cluster.standby));
    let t = TestApp::spawn_with(|c| {
        c.database_url = primary.clone();
        c.read_database_url = Some(standby.clone());
    })
    .await;
    let s = shop(&t).await;
    let users = format!("/v1/customers/{}/users", s.x.id);
    let x = s.x.id.to_string();
    // The replica catches up with the world.
    let mut caught_up = false;
    for _ in 0..200 {
        if listed(&t, &s.p.token).await.contains(&x) {
            caught_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(caught_up, "the replica shows the provider's customer");
    assert_eq!(t.get(&users, &s.p.token).await.0, 200, "granted");

    cluster.on_standby("SELECT pg_wal_replay_pause()");
    // A customer added now is on the primary only: the list (from the replica) lags.
    let (y, _, _) = customer_via(&t, &s.a, Some(&s.p), &["user_administrator"], 30).await;
    let y = y.id.to_string();
    let on_primary = t.get(&format!("/v1/customers/{y}"), &s.p.token).await;
    assert_eq!(
        on_primary.0, 200,
        "records read by id come from the primary"
    );
    assert!(
        !listed(&t, &s.p.token).await.contains(&y),
        "the paused replica does not have the new customer yet"
    );

    // The customer revokes the provider's grant: refused at once, the replica still paused.
    let (_, grants) = t.get("/v1/customer/grants", &s.x_token).await;
    let grant = grants["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["partnerId"] == s.p.tenant.id.to_string())
        .expect("the provider's grant")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .http
        .delete(t.url(&format!("/v1/customer/grants/{grant}")))
        .bearer_auth(&s.x_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(t.get(&users, &s.p.token).await.0, 403, "the grant is gone");
    assert!(
        !listed(&t, &s.p.token).await.contains(&y),
        "still lagging: the refusal did not come from a caught-up replica"
    );

    cluster.on_standby("SELECT pg_wal_replay_resume()");
    let mut seen = false;
    for _ in 0..200 {
        if listed(&t, &s.p.token).await.contains(&y) {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen, "replay resumed: the list shows the new customer");
    assert_eq!(t.get(&users, &s.p.token).await.0, 403);
}
