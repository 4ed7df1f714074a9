//! Support requests: topics, service-level targets, cases, notes, attachments and
//! service-level marks. Used only by `app::support`.

use super::paged::{Arg, Listing, Seek};
use super::{Db, Tx};
use crate::domain::ids::{AttachmentId, NoteId, ServiceRequestId, TenantId};
use crate::domain::support::{Goal, Path, Severity, Status, Target, Tier};
use sqlx::any::AnyRow;
use sqlx::Row;

fn decode_err(col: &str, v: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("{col}: unexpected value {v:?}").into())
}

fn enum_col<T>(r: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<T, sqlx::Error> {
    let v: String = r.try_get(col)?;
    parse(&v).ok_or_else(|| decode_err(col, &v))
}

fn id_col<T: std::str::FromStr>(r: &AnyRow, col: &str) -> Result<T, sqlx::Error> {
    let v: String = r.try_get(col)?;
    v.parse().map_err(|_| decode_err(col, &v))
}

fn opt_id<T: std::str::FromStr>(r: &AnyRow, col: &str) -> Result<Option<T>, sqlx::Error> {
    match r.try_get::<Option<String>, _>(col)? {
        Some(v) => v.parse().map(Some).map_err(|_| decode_err(col, &v)),
        None => Ok(None),
    }
}

#[derive(Debug, Clone)]
pub struct TopicRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub product_name: String,
}

fn topic_from(r: &AnyRow) -> Result<TopicRow, sqlx::Error> {
    Ok(TopicRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        product_name: r.try_get("product_name")?,
    })
}

pub async fn topics(db: &Db) -> Result<Vec<TopicRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM support_topics WHERE active = 1 ORDER BY name, id")
        .fetch_all(&db.read)
        .await?;
    rows.iter().map(topic_from).collect()
}

/// One page of the active topics by name: keyset on (name, id); and how many there are.
pub async fn topics_page(
    db: &Db,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<TopicRow>, i64), sqlx::Error> {
    let seek = match after {
        None => Seek {
            sql: "ORDER BY name, id LIMIT $1",
            args: vec![limit.into()],
            continues: false,
        },
        Some((name, id)) => Seek {
            sql: "AND (name > $1 OR (name = $1 AND id > $2)) ORDER BY name, id LIMIT $3",
            args: vec![name.into(), id.into(), limit.into()],
            continues: true,
        },
    };
    Listing {
        select: "*",
        from: "FROM support_topics WHERE active = 1",
        filter: Vec::new(),
    }
    .page(&db.read, seek, topic_from)
    .await
}

pub async fn topic(db: &Db, id: &str) -> Result<Option<TopicRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM support_topics WHERE id = $1 AND active = 1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(topic_from).transpose()
}

/// Inserts or replaces a topic (the import is idempotent).
pub async fn upsert_topic(tx: &mut Tx, t: &TopicRow, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO support_topics (id, name, description, product_name, active, updated_at) \
         VALUES ($1,$2,$3,$4,1,$5) ON CONFLICT (id) DO UPDATE SET name = $2, description = $3, \
         product_name = $4, active = 1, updated_at = $5",
    )
    .bind(&t.id)
    .bind(&t.name)
    .bind(&t.description)
    .bind(&t.product_name)
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

/// The targets an organisation set (severities it did not set are absent).
pub async fn targets(db: &Db, tenant: TenantId) -> Result<Vec<Target>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM support_targets WHERE tenant_id = $1")
        .bind(tenant.to_string())
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Target {
                severity: enum_col(r, "severity", Severity::parse)?,
                first_response_minutes: r.try_get("first_response_minutes")?,
                resolution_minutes: r.try_get("resolution_minutes")?,
            })
        })
        .collect()
}

pub async fn save_target(
    tx: &mut Tx,
    tenant: TenantId,
    t: &Target,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO support_targets (tenant_id, severity, first_response_minutes, resolution_minutes, updated_at) \
         VALUES ($1,$2,$3,$4,$5) ON CONFLICT (tenant_id, severity) DO UPDATE SET \
         first_response_minutes = $3, resolution_minutes = $4, updated_at = $5",
    )
    .bind(tenant.to_string())
    .bind(t.severity.as_str())
    .bind(t.first_response_minutes)
    .bind(t.resolution_minutes)
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: ServiceRequestId,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub topic_id: String,
    pub topic_name: String,
    pub product_name: String,
    pub status: Status,
    pub origin: Tier,
    pub tier: Tier,
    pub path: Path,
    pub assignee: TenantId,
    pub assignee_name: String,
    pub requester: TenantId,
    pub requester_name: String,
    pub requester_user: Option<String>,
    pub subscription_id: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub assigned_at: i64,
    pub first_response_due: i64,
    pub resolution_due: i64,
    pub responded_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    /// Some goal of some tier was missed.
    pub breached: bool,
}

/// A case row's columns: the case, its topic's, holder's and requester's names, and how
/// many of its service levels were breached.
const CASE_COLS: &str = "r.*, tp.name AS topic_name, a.display_name AS assignee_name, \
    q.display_name AS requester_name, \
    (SELECT COUNT(*) FROM service_level_marks m WHERE m.request_id = r.id AND m.mark = 'breached') AS breaches";

/// The tables a case row is read from.
const CASE_JOINS: &str = "FROM service_requests r JOIN support_topics tp ON tp.id = r.topic_id \
    JOIN tenants a ON a.id = r.assignee_tenant JOIN tenants q ON q.id = r.requester_tenant";

fn case_from(r: &AnyRow) -> Result<CaseRow, sqlx::Error> {
    Ok(CaseRow {
        id: id_col(r, "id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        severity: enum_col(r, "severity", Severity::parse)?,
        topic_id: r.try_get("topic_id")?,
        topic_name: r.try_get("topic_name")?,
        product_name: r.try_get("product_name")?,
        status: enum_col(r, "status", Status::parse)?,
        origin: enum_col(r, "origin_tier", Tier::parse)?,
        tier: enum_col(r, "tier", Tier::parse)?,
        path: Path([
            opt_id(r, "customer_tenant")?,
            opt_id(r, "reseller_tenant")?,
            opt_id(r, "provider_tenant")?,
            opt_id(r, "operator_tenant")?,
        ]),
        assignee: id_col(r, "assignee_tenant")?,
        assignee_name: r.try_get("assignee_name")?,
        requester: id_col(r, "requester_tenant")?,
        requester_name: r.try_get("requester_name")?,
        requester_user: r.try_get("requester_user")?,
        subscription_id: r.try_get("subscription_id")?,
        contact_name: r.try_get("contact_name")?,
        contact_email: r.try_get("contact_email")?,
        assigned_at: r.try_get("assigned_at")?,
        first_response_due: r.try_get("first_response_due")?,
        resolution_due: r.try_get("resolution_due")?,
        responded_at: r.try_get("responded_at")?,
        closed_at: r.try_get("closed_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
        breached: r.try_get::<i64, _>("breaches")? > 0,
    })
}

fn opt_str<T: ToString>(v: Option<T>) -> Option<String> {
    v.map(|x| x.to_string())
}

pub async fn insert(tx: &mut Tx, c: &CaseRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO service_requests (id, title, description, severity, topic_id, product_name, status, \
         origin_tier, tier, customer_tenant, reseller_tenant, provider_tenant, operator_tenant, assignee_tenant, \
         requester_tenant, requester_user, subscription_id, contact_name, contact_email, assigned_at, \
         first_response_due, resolution_due, created_at, updated_at) VALUES \
         ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$23)",
    )
    .bind(c.id.to_string())
    .bind(&c.title)
    .bind(&c.description)
    .bind(c.severity.as_str())
    .bind(&c.topic_id)
    .bind(&c.product_name)
    .bind(c.status.as_str())
    .bind(c.origin.as_str())
    .bind(c.tier.as_str())
    .bind(opt_str(c.path.0[0]))
    .bind(opt_str(c.path.0[1]))
    .bind(opt_str(c.path.0[2]))
    .bind(opt_str(c.path.0[3]))
    .bind(c.assignee.to_string())
    .bind(c.requester.to_string())
    .bind(&c.requester_user)
    .bind(&c.subscription_id)
    .bind(&c.contact_name)
    .bind(&c.contact_email)
    .bind(c.assigned_at)
    .bind(c.first_response_due)
    .bind(c.resolution_due)
    .bind(c.created_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> Result<Option<CaseRow>, sqlx::Error> {
    let sql = format!("SELECT {CASE_COLS} {CASE_JOINS} WHERE r.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.read).await?;
    row.as_ref().map(case_from).transpose()
}

/// The case inside a writing transaction, its row locked on PostgreSQL.
pub async fn get_in(tx: &mut Tx, id: &str) -> Result<Option<CaseRow>, sqlx::Error> {
    if tx.backend.for_update().is_empty() {
        let sql = format!("SELECT {CASE_COLS} {CASE_JOINS} WHERE r.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(tx.conn().await?)
            .await?;
        return row.as_ref().map(case_from).transpose();
    }
    let lock = "SELECT id FROM service_requests WHERE id = $1 FOR UPDATE";
    if sqlx::query(lock)
        .bind(id)
        .fetch_optional(tx.conn().await?)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let sql = format!("SELECT {CASE_COLS} {CASE_JOINS} WHERE r.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(tx.conn().await?)
        .await?;
    row.as_ref().map(case_from).transpose()
}

/// Saves the moving parts of a case if it is still at `version`.
pub async fn save(tx: &mut Tx, c: &CaseRow, version: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE service_requests SET status = $1, tier = $2, operator_tenant = $3, assignee_tenant = $4, \
         assigned_at = $5, first_response_due = $6, resolution_due = $7, responded_at = $8, closed_at = $9, \
         updated_at = $10, version = version + 1 WHERE id = $11 AND version = $12",
    )
    .bind(c.status.as_str())
    .bind(c.tier.as_str())
    .bind(opt_str(c.path.0[3]))
    .bind(c.assignee.to_string())
    .bind(c.assigned_at)
    .bind(c.first_response_due)
    .bind(c.resolution_due)
    .bind(c.responded_at)
    .bind(c.closed_at)
    .bind(now)
    .bind(c.id.to_string())
    .bind(version)
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Which of the visible cases to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every case the organisation is a party to.
    All,
    /// Cases the organisation raised.
    Mine,
    /// Cases the organisation holds now.
    Assigned,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<Status>,
    pub severity: Option<Severity>,
    pub customer: Option<TenantId>,
    pub topic: Option<String>,
    pub breached: Option<bool>,
}

/// The visibility rule of `domain::support::CaseFacts::is_party`, in SQL: the requester, the
/// customer, and each tier up to the one holding the case.
const PARTY: &str = "(r.requester_tenant = $1 OR r.customer_tenant = $1 \
    OR (r.reseller_tenant = $1 AND r.tier IN ('reseller','provider','operator')) \
    OR (r.provider_tenant = $1 AND r.tier IN ('provider','operator')) \
    OR (r.operator_tenant = $1 AND r.tier = 'operator'))";

fn where_clause(view: View) -> String {
    let side = match view {
        View::All => PARTY,
        View::Mine => "r.requester_tenant = $1",
        View::Assigned => "r.assignee_tenant = $1",
    };
    format!(
        "WHERE {side} AND ($2 = '' OR r.status = $2) AND ($3 = '' OR r.severity = $3) \
         AND ($4 = '' OR r.customer_tenant = $4) AND ($5 = '' OR r.topic_id = $5) \
         AND ($6 = '' OR ($6 = 'yes') = EXISTS (SELECT 1 FROM service_level_marks m \
              WHERE m.request_id = r.id AND m.mark = 'breached'))"
    )
}

/// The filter's values, `$1..$6` of [`where_clause`].
fn filter_args(org: TenantId, f: &Filter) -> Vec<Arg> {
    vec![
        org.into(),
        f.status.map(Status::as_str).unwrap_or("").into(),
        f.severity.map(Severity::as_str).unwrap_or("").into(),
        f.customer.map(|c| c.to_string()).unwrap_or_default().into(),
        f.topic.as_deref().unwrap_or("").into(),
        match f.breached {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        }
        .into(),
    ]
}

/// A page of the cases `org` may see, newest first, before the `(created_at, id)` key, and
/// how many it may see in all.
pub async fn page(
    db: &Db,
    org: TenantId,
    view: View,
    f: &Filter,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<CaseRow>, i64), sqlx::Error> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    let from = format!("{CASE_JOINS} {}", where_clause(view));
    Listing {
        select: CASE_COLS,
        from: &from,
        filter: filter_args(org, f),
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (r.created_at, r.id) < ($7, $8) ORDER BY r.created_at DESC, r.id DESC LIMIT $9",
            args: vec![at.into(), id.into(), limit.into()],
            continues: before.is_some(),
        },
        case_from,
    )
    .await
}

/// Cases still running, for the service-level worker.
pub async fn running(db: &Db, limit: i64) -> Result<Vec<CaseRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {CASE_COLS} {CASE_JOINS} WHERE r.status <> 'closed' \
         ORDER BY r.resolution_due, r.id LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(&db.read).await?;
    rows.iter().map(case_from).collect()
}

/// Records a warning or a breach once; false if it was already recorded.
pub async fn mark(
    tx: &mut Tx,
    id: ServiceRequestId,
    tier: Tier,
    goal: Goal,
    mark: &str,
    tenant: TenantId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO service_level_marks (request_id, tier, goal, mark, tenant_id, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (request_id, tier, goal, mark) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(tier.as_str())
    .bind(goal.as_str())
    .bind(mark)
    .bind(tenant.to_string())
    .bind(now)
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct NoteRow {
    pub id: NoteId,
    pub request_id: ServiceRequestId,
    pub reply_to: Option<NoteId>,
    pub author_tenant: TenantId,
    pub author_name: String,
    pub organization: String,
    pub tier: Option<Tier>,
    /// `note`, `status`, `escalation`, `breach`.
    pub kind: String,
    pub text: String,
    pub created_at: i64,
}

pub async fn insert_note(tx: &mut Tx, n: &NoteRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO service_request_notes (id, request_id, reply_to, author_tenant, author_name, organization, \
         tier, kind, text, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(n.id.to_string())
    .bind(n.request_id.to_string())
    .bind(opt_str(n.reply_to))
    .bind(n.author_tenant.to_string())
    .bind(&n.author_name)
    .bind(&n.organization)
    .bind(n.tier.map(Tier::as_str).unwrap_or("requester"))
    .bind(&n.kind)
    .bind(&n.text)
    .bind(n.created_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

fn note_from(r: &AnyRow) -> Result<NoteRow, sqlx::Error> {
    Ok(NoteRow {
        id: id_col(r, "id")?,
        request_id: id_col(r, "request_id")?,
        reply_to: opt_id(r, "reply_to")?,
        author_tenant: id_col(r, "author_tenant")?,
        author_name: r.try_get("author_name")?,
        organization: r.try_get("organization")?,
        tier: Tier::parse(&r.try_get::<String, _>("tier")?),
        kind: r.try_get("kind")?,
        text: r.try_get("text")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn notes(db: &Db, id: ServiceRequestId) -> Result<Vec<NoteRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM service_request_notes WHERE request_id = $1 ORDER BY created_at, id",
    )
    .bind(id.to_string())
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(note_from).collect()
}

/// One page of a case's notes, oldest first: keyset on (created_at, id), after `after`; and
/// how many the case has.
pub async fn notes_page(
    db: &Db,
    id: ServiceRequestId,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<NoteRow>, i64), sqlx::Error> {
    let (at, after_id) = after.unwrap_or((i64::MIN, ""));
    Listing {
        select: "n.*",
        from: "FROM service_request_notes n WHERE n.request_id = $1",
        filter: vec![id.to_string().into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (n.created_at > $2 OR (n.created_at = $2 AND n.id > $3)) \
                  ORDER BY n.created_at, n.id LIMIT $4",
            args: vec![at.into(), after_id.into(), limit.into()],
            continues: after.is_some(),
        },
        note_from,
    )
    .await
}

pub async fn note_exists(
    db: &Db,
    request: ServiceRequestId,
    note: &str,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT 1 AS x FROM service_request_notes WHERE request_id = $1 AND id = $2")
            .bind(request.to_string())
            .bind(note)
            .fetch_optional(&db.read)
            .await?
            .is_some(),
    )
}

#[derive(Debug, Clone)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub request_id: ServiceRequestId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub stored_path: Option<String>,
    pub author_name: String,
    pub created_at: i64,
}

fn attachment_from(r: &AnyRow) -> Result<AttachmentRow, sqlx::Error> {
    Ok(AttachmentRow {
        id: id_col(r, "id")?,
        request_id: id_col(r, "request_id")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size_bytes: r.try_get("size_bytes")?,
        sha256: r.try_get("sha256")?,
        stored_path: r.try_get("stored_path")?,
        author_name: r.try_get("author_name")?,
        created_at: r.try_get("created_at")?,
    })
}

const ATTACHMENT_COLS: &str = "id, request_id, file_name, content_type, size_bytes, sha256, \
    stored_path, author_name, created_at";

pub async fn insert_attachment(
    tx: &mut Tx,
    a: &AttachmentRow,
    author: TenantId,
    content: Option<&[u8]>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO service_request_attachments (id, request_id, file_name, content_type, size_bytes, sha256, \
         content, stored_path, author_tenant, author_name, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(a.id.to_string())
    .bind(a.request_id.to_string())
    .bind(&a.file_name)
    .bind(&a.content_type)
    .bind(a.size_bytes)
    .bind(&a.sha256)
    .bind(content.map(<[u8]>::to_vec))
    .bind(&a.stored_path)
    .bind(author.to_string())
    .bind(&a.author_name)
    .bind(a.created_at)
    .execute(tx.conn().await?)
    .await?;
    Ok(())
}

pub async fn attachments(db: &Db, id: ServiceRequestId) -> Result<Vec<AttachmentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {ATTACHMENT_COLS} FROM service_request_attachments WHERE request_id = $1 ORDER BY created_at, id"
    );
    let rows = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_all(&db.read)
        .await?;
    rows.iter().map(attachment_from).collect()
}

/// One page of a case's attachments, oldest first: keyset on (created_at, id); and how many
/// the case has.
pub async fn attachments_page(
    db: &Db,
    id: ServiceRequestId,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<AttachmentRow>, i64), sqlx::Error> {
    let (at, after_id) = after.unwrap_or((i64::MIN, ""));
    Listing {
        select: ATTACHMENT_COLS,
        from: "FROM service_request_attachments WHERE request_id = $1",
        filter: vec![id.to_string().into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
                  ORDER BY created_at, id LIMIT $4",
            args: vec![at.into(), after_id.into(), limit.into()],
            continues: after.is_some(),
        },
        attachment_from,
    )
    .await
}

/// One attachment of a case, with its bytes when they are kept in the database.
pub async fn attachment(
    db: &Db,
    request: ServiceRequestId,
    id: &str,
) -> Result<Option<(AttachmentRow, Option<Vec<u8>>)>, sqlx::Error> {
    let sql = format!(
        "SELECT {ATTACHMENT_COLS}, content FROM service_request_attachments WHERE request_id = $1 AND id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(request.to_string())
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    match row {
        Some(r) => Ok(Some((attachment_from(&r)?, r.try_get("content")?))),
        None => Ok(None),
    }
}

/// The operator organisation (the vendor), the top tier.
pub async fn operator_tenant(db: &Db) -> Result<Option<TenantId>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id FROM tenants WHERE kind = 'operator' ORDER BY created_at, id LIMIT 1",
    )
    .fetch_optional(&db.read)
    .await?;
    row.as_ref().map(|r| id_col(r, "id")).transpose()
}

/// A reseller's provider for support: its oldest active partnership.
pub async fn provider_of_reseller(
    db: &Db,
    reseller: TenantId,
) -> Result<Option<TenantId>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT provider_tenant_id FROM partnerships WHERE reseller_tenant_id = $1 AND state = 'active' \
         ORDER BY created_at, id LIMIT 1",
    )
    .bind(reseller.to_string())
    .fetch_optional(&db.read)
    .await?;
    row.as_ref()
        .map(|r| id_col(r, "provider_tenant_id"))
        .transpose()
}

/// Who in an organisation hears about its cases: active users holding one of `roles`, with
/// their language (a few, not the whole directory).
pub async fn recipients(
    db: &Db,
    tenant: TenantId,
    roles: &[&str],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let list = roles
        .iter()
        .map(|r| format!("'{}'", r.replace('\'', "")))
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT DISTINCT u.upn, u.language FROM users u JOIN user_roles ur ON ur.user_id = u.id \
         WHERE u.tenant_id = $1 AND u.state = 'active' AND u.deleted_at IS NULL AND ur.role IN ({list}) \
         ORDER BY u.upn LIMIT 5"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant.to_string())
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("upn")?, r.try_get("language")?)))
        .collect()
}

/// A user's sign-in name and language, for mail.
pub async fn user_contact(db: &Db, user: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT upn, language FROM users WHERE id = $1 AND state = 'active' AND deleted_at IS NULL",
    )
    .bind(user)
    .fetch_optional(&db.read)
    .await?;
    row.as_ref()
        .map(|r| Ok((r.try_get("upn")?, r.try_get("language")?)))
        .transpose()
}

/// One line of the breach-rate table.
#[derive(Debug, Clone)]
pub struct RateRow {
    pub key: String,
    pub name: String,
    pub total: i64,
    pub breached: i64,
}

/// Breach rates over the cases whose path includes `provider` (all cases when `None`),
/// grouped by reseller or by topic.
pub async fn breach_rates(
    db: &Db,
    provider: Option<TenantId>,
    by_topic: bool,
) -> Result<Vec<RateRow>, sqlx::Error> {
    let (key, name, join) = if by_topic {
        (
            "r.topic_id",
            "g.name",
            "JOIN support_topics g ON g.id = r.topic_id",
        )
    } else {
        (
            "COALESCE(r.reseller_tenant, '')",
            "COALESCE(g.display_name, '')",
            "LEFT JOIN tenants g ON g.id = r.reseller_tenant",
        )
    };
    let sql = format!(
        "SELECT {key} AS k, {name} AS name, COUNT(*) AS total, \
         SUM(CASE WHEN EXISTS (SELECT 1 FROM service_level_marks m WHERE m.request_id = r.id \
             AND m.mark = 'breached') THEN 1 ELSE 0 END) AS breached \
         FROM service_requests r {join} WHERE ($1 = '' OR r.provider_tenant = $1) \
         GROUP BY {key}, {name} ORDER BY {name}, {key}"
    );
    let rows = sqlx::query(&sql)
        .bind(provider.map(|p| p.to_string()).unwrap_or_default())
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RateRow {
                key: r.try_get("k")?,
                name: r.try_get("name")?,
                total: r.try_get("total")?,
                breached: r.try_get("breached")?,
            })
        })
        .collect()
}
