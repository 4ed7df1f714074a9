//! Audit records, chained per organisation: each record's hash covers its content and the
//! previous record's hash, so a record changed in the database breaks the chain there.

use super::batch::{Batch, Read};
use super::decode::all;
use super::paged::{Listing, Seek};
use super::{Db, Tx};
use crate::domain::ids::AuditId;
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub org_tenant_id: String,
    pub actor_user_id: Option<String>,
    pub actor_app_id: Option<String>,
    pub actor_upn: Option<String>,
    pub customer_id: Option<String>,
    pub operation: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub correlation_id: Option<String>,
    pub outcome: String,
    pub created_at: i64,
}

/// The canonical bytes a record's hash covers.
fn digest(prev_hash: &str, seq: i64, id: &str, e: &AuditEntry) -> String {
    let body = serde_json::json!({ "prev": prev_hash, "seq": seq, "id": id, "entry": e });
    crate::crypto::sha256_hex(body.to_string().as_bytes())
}

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub async fn append(tx: &mut Tx, e: &AuditEntry) -> Result<AuditId, sqlx::Error> {
    let ids = append_all(tx, std::slice::from_ref(e)).await?;
    ids.into_iter().next().ok_or(sqlx::Error::RowNotFound)
}

/// Appends several records (in order) in one statement per table: the heads of every
/// organisation involved are created if missing and locked in one statement, the records
/// are chained in memory (each organisation's sequence and hash continue from its head,
/// record after record, exactly as [`append`] would one by one), then inserted in one
/// statement and the heads moved in one more, both sent in one trip.
pub async fn append_all(tx: &mut Tx, entries: &[AuditEntry]) -> Result<Vec<AuditId>, sqlx::Error> {
    let mut b = Batch::new();
    let ids = append_all_into(tx, &mut b, entries).await?;
    b.run(tx).await?;
    Ok(ids)
}

/// [`append_all`] for a use case that writes more in the same trip: the heads are locked
/// now (their values chain the records), and the records and the heads' moves are added to
/// `b`, which the caller runs in `tx` before committing. Nothing else may append to these
/// organisations' chains in `tx` before `b` runs.
pub async fn append_all_into(
    tx: &mut Tx,
    b: &mut Batch<'_>,
    entries: &[AuditEntry],
) -> Result<Vec<AuditId>, sqlx::Error> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let orgs: Vec<&str> = entries.iter().map(|e| e.org_tenant_id.as_str()).collect();
    let rows = Batch::new().fetch(tx, &[lock_heads(&orgs)]).await?;
    let heads = heads_from(rows.first().map(Vec::as_slice).unwrap_or_default())?;
    append_locked(b, entries, heads)
}

/// The heads of some organisations' chains, locked in the transaction that appends to them
/// (organisation: last sequence number and hash).
pub type Heads = std::collections::HashMap<String, (i64, String)>;

/// The statement that creates the missing chain heads of `orgs` and reads every one of them,
/// locking them: the upsert touches each existing head, which write-locks it until the
/// transaction ends (the row lock a `SELECT ... FOR UPDATE` would take on PostgreSQL;
/// SQLite's single writer serialises appenders anyway). The organisations are sorted, so
/// concurrent appenders lock in the same order. Run it in the appending transaction (alone,
/// or with other reads in one trip: `Batch::fetch`) and read its rows with [`heads_from`].
pub fn lock_heads(orgs: &[&str]) -> Read {
    let mut orgs = orgs.to_vec();
    orgs.sort_unstable();
    orgs.dedup();
    let values: Vec<String> = (0..orgs.len())
        .map(|i| format!("(${}, 0, ${})", i + 1, orgs.len() + 1))
        .collect();
    let mut read = Read::new(format!(
        "INSERT INTO audit_heads (org_tenant_id, seq, hash) VALUES {} ON CONFLICT (org_tenant_id) \
         DO UPDATE SET seq = audit_heads.seq RETURNING org_tenant_id, seq, hash",
        values.join(", ")
    ));
    for o in orgs {
        read = read.text(o);
    }
    read.text(GENESIS)
}

/// The heads [`lock_heads`] returned.
pub fn heads_from(rows: &[sqlx::any::AnyRow]) -> Result<Heads, sqlx::Error> {
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("org_tenant_id")?,
                (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
            ))
        })
        .collect()
}

/// Chains `entries` on `heads` (locked in this transaction, covering every entry's
/// organisation) and adds the records and the heads' moves to `b`, which the caller runs in
/// the same transaction. Each organisation's sequence and hash continue from its head,
/// record after record, exactly as [`append`] would one by one.
pub fn append_locked(
    b: &mut Batch<'_>,
    entries: &[AuditEntry],
    mut heads: Heads,
) -> Result<Vec<AuditId>, sqlx::Error> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        let head = heads
            .get_mut(e.org_tenant_id.as_str())
            .ok_or(sqlx::Error::RowNotFound)?;
        let id = AuditId::new();
        let seq = head.0 + 1;
        let prev = std::mem::take(&mut head.1);
        let hash = digest(&prev, seq, &id.to_string(), e);
        *head = (seq, hash.clone());
        rows.push((id, seq, prev, hash));
    }
    insert_records(b, entries, &rows);
    // Only the heads this append moved: a head locked for nothing stays as it is.
    heads.retain(|org, _| entries.iter().any(|e| e.org_tenant_id == *org));
    move_heads(b, &heads);
    Ok(rows.into_iter().map(|(id, ..)| id).collect())
}

const RECORD_COLUMNS: usize = 17;

/// One multi-row insert of chained records (`rows`: id, seq, prev hash, hash per entry).
fn insert_records(
    b: &mut Batch<'_>,
    entries: &[AuditEntry],
    rows: &[(AuditId, i64, String, String)],
) {
    let values: Vec<String> = (0..entries.len())
        .map(|r| {
            let ps: Vec<String> = (1..=RECORD_COLUMNS)
                .map(|c| format!("${}", r * RECORD_COLUMNS + c))
                .collect();
            format!("({})", ps.join(","))
        })
        .collect();
    b.add(&format!(
        "INSERT INTO audit_records (id, org_tenant_id, seq, actor_user_id, actor_app_id, actor_upn, \
         customer_id, operation, resource_type, resource_id, old_value, new_value, correlation_id, \
         outcome, created_at, prev_hash, hash) VALUES {}",
        values.join(", ")
    ));
    for (e, (id, seq, prev, hash)) in entries.iter().zip(rows) {
        b.bind(id.to_string())
            .bind(e.org_tenant_id.clone())
            .bind(*seq)
            .bind(e.actor_user_id.clone())
            .bind(e.actor_app_id.clone())
            .bind(e.actor_upn.clone())
            .bind(e.customer_id.clone())
            .bind(e.operation.clone())
            .bind(e.resource_type.clone())
            .bind(e.resource_id.clone())
            .bind(e.old_value.clone())
            .bind(e.new_value.clone())
            .bind(e.correlation_id.clone())
            .bind(e.outcome.clone())
            .bind(e.created_at)
            .bind(prev.clone())
            .bind(hash.clone());
    }
}

/// Moves every head in `heads` to its new last record, in one statement. An upsert keyed by
/// the conflict target finds each head through its key whatever the planner's statistics say:
/// the `UPDATE ... WHERE org_tenant_id IN (...)` this replaces was planned as a scan of every
/// head once `ANALYZE` had seen the table small (a world's statistics taken before its orders),
/// and each order then read every chain head in the writer's hold. The heads were locked (and
/// made if missing) by [`lock_heads`] in the same transaction, so each row is an update.
fn move_heads(b: &mut Batch<'_>, heads: &Heads) {
    let mut heads: Vec<_> = heads.iter().collect();
    heads.sort_unstable_by(|a, b| a.0.cmp(b.0));
    b.add(&move_heads_sql(heads.len()));
    for (org, (seq, hash)) in heads {
        b.bind(org.clone()).bind(*seq).bind(hash.clone());
    }
}

/// The statement of [`move_heads`] for `n` heads (`$1..$3n`: organisation, sequence number
/// and hash of each).
pub fn move_heads_sql(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect();
    format!(
        "INSERT INTO audit_heads (org_tenant_id, seq, hash) VALUES {} \
         ON CONFLICT (org_tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        rows.join(", ")
    )
}

fn entry_from(r: &sqlx::any::AnyRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        org_tenant_id: r.try_get("org_tenant_id")?,
        actor_user_id: r.try_get("actor_user_id")?,
        actor_app_id: r.try_get("actor_app_id")?,
        actor_upn: r.try_get("actor_upn")?,
        customer_id: r.try_get("customer_id")?,
        operation: r.try_get("operation")?,
        resource_type: r.try_get("resource_type")?,
        resource_id: r.try_get("resource_id")?,
        old_value: r.try_get("old_value")?,
        new_value: r.try_get("new_value")?,
        correlation_id: r.try_get("correlation_id")?,
        outcome: r.try_get("outcome")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A broken link: the organisation and the sequence number where the chain stops holding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub org_tenant_id: String,
    pub seq: i64,
    pub record_id: String,
}

/// Walks every organisation's chain; returns the first broken link of each broken chain and
/// the number of records checked.
pub async fn verify(db: &Db) -> Result<(u64, Vec<BrokenLink>), sqlx::Error> {
    let orgs = sqlx::query(
        "SELECT org_tenant_id, seq, hash, pruned_seq, pruned_hash FROM audit_heads ORDER BY org_tenant_id",
    )
    .fetch_all(&db.read)
    .await?;
    let mut checked = 0u64;
    let mut broken = Vec::new();
    for org in orgs {
        let org_id: String = org.try_get("org_tenant_id")?;
        let head_seq: i64 = org.try_get("seq")?;
        let head_hash: String = org.try_get("hash")?;
        // After retention removed the oldest records, the chain is checked from the last
        // archived record's hash (kept in the head), so the archive and the rest still link.
        let pruned: i64 = org.try_get("pruned_seq")?;
        let mut prev = if pruned > 0 {
            org.try_get::<String, _>("pruned_hash")?
        } else {
            GENESIS.to_string()
        };
        let mut expected_seq = pruned + 1;
        let mut last_id = String::new();
        let mut after = pruned;
        let mut ok = true;
        'pages: loop {
            let rows = sqlx::query(
                "SELECT * FROM audit_records WHERE org_tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000",
            )
            .bind(&org_id)
            .bind(after)
            .fetch_all(&db.read)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let seq: i64 = r.try_get("seq")?;
                let id: String = r.try_get("id")?;
                let stored_prev: String = r.try_get("prev_hash")?;
                let stored_hash: String = r.try_get("hash")?;
                checked += 1;
                let e = entry_from(r)?;
                if seq != expected_seq
                    || stored_prev != prev
                    || digest(&prev, seq, &id, &e) != stored_hash
                {
                    broken.push(BrokenLink {
                        org_tenant_id: org_id.clone(),
                        seq,
                        record_id: id,
                    });
                    ok = false;
                    break 'pages;
                }
                prev = stored_hash;
                expected_seq += 1;
                after = seq;
                last_id = id;
            }
        }
        if ok && (expected_seq - 1 != head_seq || prev != head_hash) {
            // Records were deleted from the end (or the head was altered).
            broken.push(BrokenLink {
                org_tenant_id: org_id.clone(),
                seq: expected_seq,
                record_id: last_id,
            });
        }
    }
    Ok((checked, broken))
}

/// How many audit records an organisation has (the tests compare before and after).
#[cfg(feature = "test-door")]
pub async fn count_for(db: &Db, org: &str) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM audit_records WHERE org_tenant_id = $1")
        .bind(org)
        .fetch_one(&db.read)
        .await?;
    row.try_get("n")
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: String,
    pub entry: AuditEntry,
    pub customer_name: Option<String>,
}

/// What to narrow an organisation's records by.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub start: i64,
    pub end: i64,
    /// Customer name contains (lower-case).
    pub company_name: Option<String>,
    pub customer_id: Option<String>,
    pub resource_type: Option<String>,
}

/// One page of an organisation's records matching `q`, newest first (keyset on time, id),
/// and how many match in all.
pub async fn page(
    db: &Db,
    org: &str,
    q: &AuditQuery,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<AuditRow>, i64), sqlx::Error> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    Listing {
        select: "a.*, t.display_name AS customer_name",
        from: "FROM audit_records a LEFT JOIN tenants t ON t.id = a.customer_id \
               WHERE a.org_tenant_id = $1 AND a.created_at >= $2 AND a.created_at < $3 \
               AND ($4 = '' OR LOWER(t.display_name) LIKE $4) AND ($5 = '' OR a.customer_id = $5) \
               AND ($6 = '' OR a.resource_type = $6)",
        filter: vec![
            org.into(),
            q.start.into(),
            q.end.into(),
            q.company_name
                .as_ref()
                .map(|c| format!("%{c}%"))
                .unwrap_or_default()
                .into(),
            q.customer_id.clone().unwrap_or_default().into(),
            q.resource_type.clone().unwrap_or_default().into(),
        ],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (a.created_at, a.id) < ($7, $8) ORDER BY a.created_at DESC, a.id DESC LIMIT $9",
            args: vec![at.into(), id.into(), limit.into()],
            continues: before.is_some(),
        },
        |r| {
            Ok(AuditRow {
                id: r.try_get("id")?,
                entry: entry_from(r)?,
                customer_name: r.try_get("customer_name")?,
            })
        },
    )
    .await
}

/// One of an organisation's records by id.
pub async fn one(db: &Db, org: &str, id: &str) -> Result<Option<AuditRow>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT a.*, t.display_name AS customer_name FROM audit_records a LEFT JOIN tenants t ON t.id = a.customer_id \
         WHERE a.org_tenant_id = $1 AND a.id = $2",
    )
    .bind(org)
    .bind(id)
    .fetch_optional(&db.read)
    .await?;
    r.as_ref()
        .map(|r| {
            Ok(AuditRow {
                id: r.try_get("id")?,
                entry: entry_from(r)?,
                customer_name: r.try_get("customer_name")?,
            })
        })
        .transpose()
}

/// One record as exported: everything stored, hashes included, so an archive can be checked
/// against the chain.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    pub id: String,
    pub seq: i64,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// Records in chain order, `limit` at a time after `(org, seq)`; `before` bounds their time.
pub async fn export_page(
    db: &Db,
    org: Option<&str>,
    start: i64,
    before: i64,
    after: (&str, i64),
    limit: i64,
) -> Result<Vec<Exported>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM audit_records WHERE ($1 = '' OR org_tenant_id = $1) AND created_at >= $2          AND created_at < $3 AND (org_tenant_id > $4 OR (org_tenant_id = $4 AND seq > $5))          ORDER BY org_tenant_id, seq LIMIT $6",
    )
    .bind(org.unwrap_or(""))
    .bind(start)
    .bind(before)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    all(&rows, |r| {
        Ok(Exported {
            id: r.try_get("id")?,
            seq: r.try_get("seq")?,
            entry: entry_from(r)?,
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        })
    })
}

/// Organisations holding records older than `cutoff`.
pub async fn orgs_with_records_before(db: &Db, cutoff: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT org_tenant_id FROM audit_records WHERE created_at < $1 ORDER BY org_tenant_id",
    )
    .bind(cutoff)
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(|r| r.try_get("org_tenant_id")).collect()
}

/// Removes an organisation's records up to `seq` (already archived) and moves the chain's
/// anchor there. Never touches the newest record, so the head stays verifiable.
pub async fn prune_through(tx: &mut Tx, org: &str, seq: i64) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "SELECT seq FROM audit_heads WHERE org_tenant_id = $1{}",
        tx.backend.for_update()
    );
    let head: i64 = sqlx::query(&sql)
        .bind(org)
        .fetch_one(tx.conn().await?)
        .await?
        .try_get("seq")?;
    let seq = seq.min(head - 1);
    if seq <= 0 {
        return Ok(0);
    }
    let done = sqlx::query("DELETE FROM audit_records WHERE org_tenant_id = $1 AND seq <= $2")
        .bind(org)
        .bind(seq)
        .execute(tx.conn().await?)
        .await?;
    sqlx::query(
        "UPDATE audit_heads SET pruned_seq = $1, pruned_hash = (SELECT prev_hash FROM audit_records          WHERE org_tenant_id = $2 AND seq = $3) WHERE org_tenant_id = $2 AND pruned_seq < $1",
    )
    .bind(seq)
    .bind(org)
    .bind(seq + 1)
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected())
}
