//! Builds audit records from the acting context.

use super::Ctx;
use crate::app::store::audit::{self, AuditEntry};
use crate::app::store::batch::{Batch, Read};
use crate::app::store::Tx;
use crate::domain::audit::Operation;

/// What changed, for the audit log.
pub struct Change<'a> {
    pub operation: Operation,
    pub resource_type: &'a str,
    pub resource_id: String,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    pub customer_id: Option<String>,
}

/// Appends a succeeded change to the organisation's chain. `org` is the organisation whose
/// log shows it (the actor's own, or the system's for unattended changes).
pub async fn record(
    tx: &mut Tx,
    ctx: Option<&Ctx>,
    org: &str,
    change: Change<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    audit::append(tx, &entry(ctx, org, change, now))
        .await
        .map(|_| ())
}

/// Appends one change to the chain of each organisation in `orgs`, in one statement per
/// table (`store::audit::append_all`): what a use case that touches several organisations
/// writes, at the cost of one.
pub async fn record_for_each(
    tx: &mut Tx,
    ctx: Option<&Ctx>,
    orgs: &[String],
    change: Change<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    audit::append_all(tx, &entries_for_each(ctx, orgs, change, now))
        .await
        .map(|_| ())
}

/// [`record_for_each`] for a use case that sends its writes in one batch: the chains are
/// locked in `tx` now, the records go in `b` (`store::audit::append_all_into`).
pub async fn record_for_each_into(
    tx: &mut Tx,
    b: &mut Batch<'_>,
    ctx: Option<&Ctx>,
    orgs: &[String],
    change: Change<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    audit::append_all_into(tx, b, &entries_for_each(ctx, orgs, change, now))
        .await
        .map(|_| ())
}

/// The read that locks the chains of `orgs`, for a use case that sends it in one trip with
/// its other reads (`Batch::fetch`); its rows go to [`record_for_each_locked`].
pub fn lock_chains(orgs: &[String]) -> Read {
    let orgs: Vec<&str> = orgs.iter().map(String::as_str).collect();
    audit::lock_heads(&orgs)
}

/// The chains [`lock_chains`] locked, from its rows.
pub fn locked_chains(rows: &[sqlx::any::AnyRow]) -> Result<audit::Heads, sqlx::Error> {
    audit::heads_from(rows)
}

/// [`record_for_each_into`] on chains already locked in this transaction: `heads` are
/// [`locked_chains`] of the same organisations.
pub fn record_for_each_locked(
    b: &mut Batch<'_>,
    ctx: Option<&Ctx>,
    orgs: &[String],
    change: Change<'_>,
    now: i64,
    heads: audit::Heads,
) -> Result<(), sqlx::Error> {
    audit::append_locked(b, &entries_for_each(ctx, orgs, change, now), heads).map(|_| ())
}

fn entries_for_each(
    ctx: Option<&Ctx>,
    orgs: &[String],
    change: Change<'_>,
    now: i64,
) -> Vec<AuditEntry> {
    orgs.iter()
        .map(|org| {
            let c = Change {
                resource_id: change.resource_id.clone(),
                old: change.old.clone(),
                new: change.new.clone(),
                customer_id: change.customer_id.clone(),
                ..change
            };
            entry(ctx, org, c, now)
        })
        .collect()
}

fn entry(ctx: Option<&Ctx>, org: &str, change: Change<'_>, now: i64) -> AuditEntry {
    AuditEntry {
        org_tenant_id: org.to_string(),
        actor_user_id: ctx.and_then(|c| c.actor.user_id()).map(|u| u.to_string()),
        actor_app_id: ctx.and_then(|c| c.app_id()),
        actor_upn: ctx.and_then(|c| c.upn.clone()),
        customer_id: change.customer_id,
        operation: change.operation.as_str().to_string(),
        resource_type: change.resource_type.to_string(),
        resource_id: Some(change.resource_id),
        old_value: change.old.map(|v| v.to_string()),
        new_value: change.new.map(|v| v.to_string()),
        correlation_id: ctx.and_then(|c| c.correlation_id.clone()),
        outcome: "succeeded".to_string(),
        created_at: now,
    }
}

/// Writes records as JSON lines, in chain order, to `out`; returns how many and the last
/// record of each organisation written.
pub async fn export(
    db: &crate::app::store::Db,
    org: Option<&str>,
    start: i64,
    before: i64,
    out: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<(u64, Vec<(String, i64)>)> {
    let mut after = (String::new(), 0i64);
    let mut n = 0u64;
    let mut last: Vec<(String, i64)> = Vec::new();
    loop {
        let page = audit::export_page(db, org, start, before, (&after.0, after.1), 1000).await?;
        let Some(tail) = page.last() else { break };
        after = (tail.entry.org_tenant_id.clone(), tail.seq);
        for r in &page {
            serde_json::to_writer(&mut *out, r)?;
            out.write_all(b"\n")?;
            n += 1;
            match last.last_mut() {
                Some((o, s)) if *o == r.entry.org_tenant_id => *s = r.seq,
                _ => last.push((r.entry.org_tenant_id.clone(), r.seq)),
            }
        }
    }
    out.flush()?;
    Ok((n, last))
}

/// Retention: records older than the configured days are written to the archive directory
/// (one JSON-lines file per pass, synced to disk) and only then removed online. Without an
/// archive directory nothing is removed.
pub async fn apply_retention(app: &super::App) -> anyhow::Result<u64> {
    let (days, Some(dir)) = (
        app.config.audit_retention_days,
        app.config.audit_archive_dir.as_ref(),
    ) else {
        return Ok(0);
    };
    if days <= 0 {
        return Ok(0);
    }
    let now = app.clock.now_ms();
    let cutoff = now - days * crate::clock::DAY_MS;
    if audit::orgs_with_records_before(&app.db, cutoff)
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!(
        "audit-before-{}-{}.jsonl",
        crate::clock::from_ms(cutoff).format("%Y%m%dT%H%M%S"),
        uuid::Uuid::now_v7().simple()
    ));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let (n, last) = export(&app.db, None, 0, cutoff, &mut file).await?;
    file.into_inner()?.sync_all()?;
    let mut removed = 0;
    for (org, seq) in last {
        let mut tx = app.db.begin().await?;
        removed += audit::prune_through(&mut tx, &org, seq).await?;
        tx.commit().await?;
    }
    tracing::info!(archived = n, removed, file = %path.display(), "audit retention pass");
    Ok(removed)
}

/// One audit record of the caller's organisation.
pub async fn one(app: &super::App, ctx: &Ctx, id: &str) -> crate::domain::Result<audit::AuditRow> {
    use crate::domain::authz::{Action, Resource};
    ctx.require(Action::ReadActivityLog, Resource::Tenant(ctx.actor.tenant))?;
    audit::one(&app.db, &ctx.actor.tenant.to_string(), id)
        .await?
        .ok_or(crate::domain::Error::NotFound("audit record"))
}

pub use crate::app::store::audit::{AuditQuery, AuditRow};

/// One page of the caller's organisation's records matching `q`, newest first, and how
/// many match in all.
pub async fn records(
    app: &super::App,
    ctx: &Ctx,
    q: &AuditQuery,
    before: Option<(i64, &str)>,
    limit: u32,
) -> crate::domain::Result<(Vec<AuditRow>, i64)> {
    use crate::domain::authz::{Action, Resource};
    ctx.require(Action::ReadActivityLog, Resource::Tenant(ctx.actor.tenant))?;
    let org = ctx.actor.tenant.to_string();
    Ok(audit::page(&app.db, &org, q, before, limit).await?)
}

/// A page of the caller's organisation's records of the last `days` days, newest first
/// before `before` (the last record shown: its time and id), and how many there are (portal
/// page).
pub async fn recent(
    app: &super::App,
    ctx: &Ctx,
    days: i64,
    before: Option<(i64, &str)>,
    limit: u32,
) -> crate::domain::Result<(Vec<AuditRow>, i64)> {
    let now = app.clock.now_ms();
    let q = AuditQuery {
        start: now - days * crate::clock::DAY_MS,
        end: now + 1,
        ..Default::default()
    };
    records(app, ctx, &q, before, limit).await
}
