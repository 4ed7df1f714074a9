//! Support requests through the tiers: raise, answer, ask for information, resolve,
//! escalate; notes and files; service levels per tier with a worker that warns and records
//! breaches. Every write is one transaction with its audit record, event and mail; every read
//! takes the caller's context and answers only what the caller may see.

use super::audit::{record, Change};
use super::{events, App, Ctx};
use crate::app::store::customers;
use crate::app::store::support::{self as repo, AttachmentRow, CaseRow, Filter, NoteRow, View};
use crate::app::store::Tx;
use crate::domain::audit::Operation;
use crate::domain::authz::{can, Action, Resource};
use crate::domain::customer::RelationshipState;
use crate::domain::error::Checks;
use crate::domain::identity::TenantKind;
use crate::domain::ids::{AttachmentId, NoteId, ServiceRequestId, TenantId};
use crate::domain::support::{
    self as rules, CaseFacts, Clock, DraftInput, Goal, Path, Severity, Status, Target, Tier,
};
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub use crate::app::store::support::{
    AttachmentRow as Attachment, CaseRow as Case, NoteRow as Note, RateRow, TopicRow as Topic,
};
pub use crate::app::store::support::{Filter as CaseFilter, View as CaseView};

fn facts(c: &CaseRow) -> CaseFacts {
    CaseFacts {
        path: c.path,
        requester: c.requester,
        assigned: c.tier,
    }
}

/// The case as the caller may see it: the thread, the files and the clock.
#[derive(Debug, Clone)]
pub struct CaseDetail {
    pub case: CaseRow,
    pub notes: Vec<NoteRow>,
    pub attachments: Vec<AttachmentRow>,
    /// Milliseconds left on the running goal of the tier holding the case.
    pub time_left_ms: Option<i64>,
    pub running_goal: Option<Goal>,
    /// What the caller may do now (for the portal's buttons).
    pub may_update: bool,
    pub may_escalate: bool,
    pub is_assignee: bool,
}

pub fn clock_of(c: &CaseRow) -> Clock {
    Clock {
        first_response_due: c.first_response_due,
        resolution_due: c.resolution_due,
        responded_at: c.responded_at,
        closed_at: c.closed_at,
    }
}

// ---------------------------------------------------------------- topics and targets

pub async fn topics(app: &App, ctx: &Ctx) -> Result<Vec<repo::TopicRow>> {
    ctx.require(Action::ReadSupportTopics, Resource::Platform)?;
    Ok(repo::topics(&app.db).await?)
}

/// One page of the support topics by name, and how many there are.
pub async fn topics_page(
    app: &App,
    ctx: &Ctx,
    after: Option<(&str, &str)>,
    limit: u32,
) -> Result<(Vec<repo::TopicRow>, i64)> {
    ctx.require(Action::ReadSupportTopics, Resource::Platform)?;
    Ok(repo::topics_page(&app.db, after, limit).await?)
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopicFile {
    pub topics: Vec<TopicEntry>,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopicEntry {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub product_name: String,
}

/// Imports support topics (command line, demo): checked whole, then written in one
/// transaction; importing again updates them.
pub async fn import_topics(app: &App, file: &TopicFile) -> Result<usize> {
    let mut c = Checks::new();
    for (i, t) in file.topics.iter().enumerate() {
        let f = |x: &str| format!("topics[{i}].{x}");
        c.check(
            !t.id.is_empty()
                && t.id.len() <= 100
                && t.id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            &f("id"),
            "letters, digits, '-' and '_', at most 100",
        );
        rules::text(&mut c, &f("name"), &t.name, 200, true);
        rules::text(&mut c, &f("description"), &t.description, 2000, false);
        rules::text(&mut c, &f("productName"), &t.product_name, 200, false);
    }
    c.finish()?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    for t in &file.topics {
        let row = repo::TopicRow {
            id: t.id.clone(),
            name: t.name.trim().into(),
            description: t.description.trim().into(),
            product_name: t.product_name.trim().into(),
        };
        repo::upsert_topic(&mut tx, &row, now).await?;
    }
    tx.commit().await?;
    Ok(file.topics.len())
}

/// The organisation's targets for every severity (defaults where it set none).
pub async fn targets(app: &App, ctx: &Ctx) -> Result<Vec<Target>> {
    ctx.require(
        Action::ReadSupportTargets,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    targets_of(app, ctx.actor.tenant).await
}

async fn targets_of(app: &App, org: TenantId) -> Result<Vec<Target>> {
    let set = repo::targets(&app.db, org).await?;
    Ok(Severity::ALL
        .iter()
        .map(|s| {
            set.iter()
                .find(|t| t.severity == *s)
                .copied()
                .unwrap_or_else(|| rules::default_target(*s))
        })
        .collect())
}

pub async fn set_targets(app: &App, ctx: &Ctx, targets: Vec<Target>) -> Result<Vec<Target>> {
    let org = ctx.actor.tenant;
    ctx.require(Action::ManageSupportTargets, Resource::Tenant(org))?;
    let mut c = Checks::new();
    for (i, t) in targets.iter().enumerate() {
        rules::validate_target(&mut c, &format!("[{i}]"), t);
        c.check(
            targets[..i].iter().all(|o| o.severity != t.severity),
            &format!("[{i}].severity"),
            "each severity once",
        );
    }
    c.finish()?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    for t in &targets {
        repo::save_target(&mut tx, org, t, now).await?;
    }
    record(
        &mut tx,
        Some(ctx),
        &org.to_string(),
        Change {
            operation: Operation::UpdateSupportTargets,
            resource_type: "support_targets",
            resource_id: org.to_string(),
            old: None,
            new: Some(serde_json::json!(targets
                .iter()
                .map(|t| serde_json::json!({"severity": t.severity.as_str(),
                    "firstResponseMinutes": t.first_response_minutes,
                    "resolutionMinutes": t.resolution_minutes}))
                .collect::<Vec<_>>())),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    targets_of(app, org).await
}

async fn target_for(app: &App, org: TenantId, s: Severity) -> Result<Target> {
    Ok(targets_of(app, org)
        .await?
        .into_iter()
        .find(|t| t.severity == s)
        .unwrap_or_else(|| rules::default_target(s)))
}

// ---------------------------------------------------------------- raising

/// What a new case is about, as the adapters received it.
pub struct NewCase<'a> {
    pub input: DraftInput<'a>,
    pub customer: Option<TenantId>,
    pub subscription_id: Option<String>,
}

/// The channel above the raising organisation, from the relationship graph.
async fn path_for(app: &App, ctx: &Ctx, customer: Option<TenantId>) -> Result<(Path, Tier)> {
    let me = ctx.actor.tenant;
    let operator = repo::operator_tenant(&app.db).await?;
    let partner = ctx.actor.partner.clone().unwrap_or_default();
    let origin = match ctx.actor.tenant_kind {
        TenantKind::Customer => Tier::Customer,
        TenantKind::Partner if partner.is_provider => Tier::Provider,
        TenantKind::Partner => Tier::Reseller,
        TenantKind::Operator => return Err(Error::conflict("the operator is the top tier")),
    };
    let mut path = Path([None, None, None, operator]);
    path.0[origin as usize] = Some(me);
    let Some(cust) = customer.or((origin == Tier::Customer).then_some(me)) else {
        if origin == Tier::Reseller {
            path.0[Tier::Provider as usize] = repo::provider_of_reseller(&app.db, me).await?;
        }
        return Ok((path, origin));
    };
    path.0[Tier::Customer as usize] = Some(cust);
    let partners = customers::partners_of(&app.db, cust).await?;
    let active = || {
        partners
            .iter()
            .filter(|p| p.state == RelationshipState::Active)
    };
    if origin == Tier::Provider {
        let via = active()
            .find(|p| p.partner == me)
            .and_then(|p| p.indirect_reseller);
        path.0[Tier::Reseller as usize] = via;
        return Ok((path, origin));
    }
    let reseller = match origin {
        Tier::Reseller => Some(me),
        _ => active().find(|p| !p.is_provider).map(|p| p.partner),
    };
    path.0[Tier::Reseller as usize] = reseller;
    let provider = active()
        .find(|p| p.is_provider && reseller.is_some() && p.indirect_reseller == reseller)
        .or_else(|| active().find(|p| p.is_provider))
        .map(|p| p.partner);
    path.0[Tier::Provider as usize] = match (provider, reseller) {
        (Some(p), _) => Some(p),
        (None, Some(r)) => repo::provider_of_reseller(&app.db, r).await?,
        (None, None) => None,
    };
    Ok((path, origin))
}

async fn require_raise(app: &App, ctx: &Ctx, customer: Option<TenantId>) -> Result<()> {
    match customer {
        Some(c) if c != ctx.actor.tenant => {
            let f = customers::facts(&app.db, ctx.actor.tenant, c, app.clock.now_ms()).await?;
            if !can(
                &ctx.actor,
                Action::RaiseServiceRequest,
                Resource::Customer(f),
            )
            .allowed()
            {
                return Err(Error::NotFound("the customer"));
            }
            Ok(())
        }
        Some(c) => {
            let f = customers::facts(&app.db, c, c, app.clock.now_ms()).await?;
            ctx.require(Action::RaiseServiceRequest, Resource::Customer(f))
        }
        None => ctx.require(
            Action::RaiseServiceRequest,
            Resource::Tenant(ctx.actor.tenant),
        ),
    }
}

/// Customers a partner may raise requests for (the first 200 by name), for pickers.
pub async fn customers_for_raising(app: &App, ctx: &Ctx) -> Result<Vec<(TenantId, String)>> {
    ctx.require(
        Action::RaiseServiceRequest,
        Resource::Tenant(ctx.actor.tenant),
    )?;
    if ctx.actor.partner.is_none() {
        return Ok(Vec::new());
    }
    let rows = customers::page(&app.db, ctx.actor.tenant, None, None, 200).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

pub async fn raise(app: &App, ctx: &Ctx, new: NewCase<'_>) -> Result<CaseDetail> {
    require_raise(app, ctx, new.customer).await?;
    let draft = rules::validate(&new.input)?;
    let topic = repo::topic(&app.db, &draft.topic_id)
        .await?
        .ok_or_else(|| Error::field("supportTopicId", "not a support topic"))?;
    let (path, origin) = path_for(app, ctx, new.customer).await?;
    let (tier, assignee) = path.next_above(origin).ok_or_else(|| {
        Error::conflict("your organisation has no tier above it to raise a request with")
    })?;
    let now = app.clock.now_ms();
    let clock = Clock::start(now, &target_for(app, assignee, draft.severity).await?);
    let case = CaseRow {
        id: ServiceRequestId::new(),
        title: draft.title,
        description: draft.description,
        severity: draft.severity,
        product_name: if draft.product_name.is_empty() {
            topic.product_name.clone()
        } else {
            draft.product_name
        },
        topic_id: topic.id,
        topic_name: topic.name,
        status: Status::Open,
        origin,
        tier,
        path,
        assignee,
        assignee_name: String::new(),
        requester: ctx.actor.tenant,
        requester_name: String::new(),
        requester_user: ctx.actor.user_id().map(|u| u.to_string()),
        subscription_id: new.subscription_id.filter(|s| !s.trim().is_empty()),
        contact_name: draft.contact_name,
        contact_email: draft.contact_email,
        assigned_at: now,
        first_response_due: clock.first_response_due,
        resolution_due: clock.resolution_due,
        responded_at: None,
        closed_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
        breached: false,
    };
    let mut tx = app.db.begin().await?;
    repo::insert(&mut tx, &case).await?;
    let change = Changed::new(
        Operation::ServiceRequestRaised,
        Some(EventName::ServiceRequestCreated),
    );
    announce(app, &mut tx, Some(ctx), &case, &change, now).await?;
    tx.commit().await?;
    detail(app, ctx, &case.id.to_string()).await
}

// ---------------------------------------------------------------- reading

/// A case the caller is a party to; everyone else gets "not found".
async fn visible(app: &App, ctx: &Ctx, id: &str) -> Result<CaseRow> {
    let c = match id.parse::<ServiceRequestId>() {
        Ok(_) => repo::get(&app.db, id).await?,
        Err(_) => None,
    }
    .ok_or(Error::NotFound("the service request"))?;
    if !can(
        &ctx.actor,
        Action::ReadServiceRequest,
        Resource::ServiceRequest(facts(&c)),
    )
    .allowed()
    {
        return Err(Error::NotFound("the service request"));
    }
    Ok(c)
}

pub async fn detail(app: &App, ctx: &Ctx, id: &str) -> Result<CaseDetail> {
    let case = visible(app, ctx, id).await?;
    let notes = repo::notes(&app.db, case.id).await?;
    let attachments = repo::attachments(&app.db, case.id).await?;
    let clock = clock_of(&case);
    let f = Resource::ServiceRequest(facts(&case));
    Ok(CaseDetail {
        time_left_ms: clock.time_left(app.clock.now_ms()),
        running_goal: clock.running().map(|(g, _)| g),
        may_update: can(&ctx.actor, Action::UpdateServiceRequest, f).allowed(),
        may_escalate: can(&ctx.actor, Action::EscalateServiceRequest, f).allowed()
            && case.status != Status::Closed,
        is_assignee: case.assignee == ctx.actor.tenant,
        case,
        notes,
        attachments,
    })
}

/// Cases the caller's organisation is a party to (or raised, or holds), newest first.
pub async fn list(
    app: &App,
    ctx: &Ctx,
    view: View,
    filter: &Filter,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<CaseRow>, i64)> {
    let org = ctx.actor.tenant;
    ctx.require(Action::ReadServiceRequests, Resource::Tenant(org))?;
    Ok(repo::page(&app.db, org, view, filter, before, limit).await?)
}

/// The cases about one customer that the caller may see (a partner serving it, or itself).
pub async fn list_for_customer(
    app: &App,
    ctx: &Ctx,
    customer: TenantId,
    filter: Filter,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<CaseRow>, i64)> {
    let f = customers::facts(&app.db, ctx.actor.tenant, customer, app.clock.now_ms()).await?;
    if !can(
        &ctx.actor,
        Action::ReadServiceRequests,
        Resource::Customer(f),
    )
    .allowed()
    {
        return Err(Error::NotFound("the customer"));
    }
    let filter = Filter {
        customer: Some(customer),
        ..filter
    };
    list(app, ctx, View::All, &filter, before, limit).await
}

// ---------------------------------------------------------------- working a case

/// What one PATCH asks: a status, a note, an escalation (any together).
#[derive(Debug, Clone, Default)]
pub struct Update {
    pub status: Option<String>,
    pub note: Option<String>,
    pub escalate: bool,
}

pub async fn update(
    app: &App,
    ctx: &Ctx,
    id: &str,
    u: Update,
    if_match: Option<i64>,
) -> Result<CaseDetail> {
    let status = match u.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            Status::parse(s)
                .ok_or_else(|| Error::field("status", "open, attentionNeeded or closed"))?,
        ),
        None => None,
    };
    let note = match u.note.as_deref() {
        Some(n) => {
            let mut c = Checks::new();
            let t = rules::text(&mut c, "note", n, 10_000, true);
            c.finish()?;
            Some(t)
        }
        None => None,
    };
    visible(app, ctx, id).await?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut c = repo::get_in(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("the service request"))?;
    ctx.require(
        Action::UpdateServiceRequest,
        Resource::ServiceRequest(facts(&c)),
    )?;
    let version = c.version;
    if if_match.is_some_and(|v| v != version) {
        return Err(Error::PreconditionFailed);
    }
    let mut change = Changed::new(
        Operation::ServiceRequestUpdated,
        Some(EventName::ServiceRequestUpdated),
    );
    if let Some(text) = note {
        add_note_in(app, &mut tx, ctx, &c, None, &text, now).await?;
        change.note = Some(text);
    }
    if let Some(to) = status {
        set_status(ctx, &mut c, to, now, &mut change)?;
    }
    if u.escalate {
        escalate_in(app, ctx, &mut c, now, &mut change).await?;
    }
    if note_counts_as_response(ctx, &c, change.note.is_some()) {
        c.responded_at.get_or_insert(now);
    }
    if !repo::save(&mut tx, &c, version, now).await? {
        return Err(Error::PreconditionFailed);
    }
    c.version += 1;
    c.updated_at = now;
    announce(app, &mut tx, Some(ctx), &c, &change, now).await?;
    tx.commit().await?;
    detail(app, ctx, id).await
}

fn note_counts_as_response(ctx: &Ctx, c: &CaseRow, noted: bool) -> bool {
    noted && c.assignee == ctx.actor.tenant
}

fn set_status(
    ctx: &Ctx,
    c: &mut CaseRow,
    to: Status,
    now: i64,
    change: &mut Changed,
) -> Result<()> {
    let by_assignee = c.assignee == ctx.actor.tenant;
    let by_requester = c.requester == ctx.actor.tenant;
    rules::may_set_status(c.status, to, by_assignee, by_requester)?;
    if to == c.status {
        return Ok(());
    }
    if by_assignee {
        // Asking for information or resolving answers the request.
        c.responded_at.get_or_insert(now);
    }
    c.closed_at = match to {
        Status::Closed => Some(now),
        _ => None,
    };
    change.from_status = Some(c.status);
    c.status = to;
    change.what = match to {
        Status::Closed => Operation::ServiceRequestResolved,
        Status::AttentionNeeded => Operation::ServiceRequestAttentionNeeded,
        Status::Open => Operation::ServiceRequestReopened,
    };
    Ok(())
}

async fn escalate_in(
    app: &App,
    ctx: &Ctx,
    c: &mut CaseRow,
    now: i64,
    change: &mut Changed,
) -> Result<()> {
    ctx.require(
        Action::EscalateServiceRequest,
        Resource::ServiceRequest(facts(c)),
    )?;
    let (tier, org) = rules::escalate(&facts(c), c.status)?;
    let clock = Clock::start(now, &target_for(app, org, c.severity).await?);
    change.previous_assignee = Some(c.assignee);
    c.tier = tier;
    c.assignee = org;
    c.assigned_at = now;
    c.first_response_due = clock.first_response_due;
    c.resolution_due = clock.resolution_due;
    c.responded_at = None;
    c.status = Status::Open;
    change.what = Operation::ServiceRequestEscalated;
    change.event = Some(EventName::ServiceRequestEscalated);
    Ok(())
}

/// Adds a note to the thread (any party, while the case is not closed).
pub async fn add_note(
    app: &App,
    ctx: &Ctx,
    id: &str,
    text: &str,
    reply_to: Option<&str>,
) -> Result<NoteRow> {
    let mut chk = Checks::new();
    let text = rules::text(&mut chk, "text", text, 10_000, true);
    chk.finish()?;
    let c = visible(app, ctx, id).await?;
    ctx.require(
        Action::NoteServiceRequest,
        Resource::ServiceRequest(facts(&c)),
    )?;
    if c.status == Status::Closed {
        return Err(Error::conflict("this request is closed; reopen it first"));
    }
    let reply_to = match reply_to.map(str::trim).filter(|s| !s.is_empty()) {
        Some(r) if repo::note_exists(&app.db, c.id, r).await? => r.parse().ok(),
        Some(_) => return Err(Error::field("replyTo", "not a note of this request")),
        None => None,
    };
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut c = repo::get_in(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("the service request"))?;
    let note = add_note_in(app, &mut tx, ctx, &c, reply_to, &text, now).await?;
    let version = c.version;
    if note_counts_as_response(ctx, &c, true) {
        c.responded_at.get_or_insert(now);
    }
    if !repo::save(&mut tx, &c, version, now).await? {
        return Err(Error::PreconditionFailed);
    }
    let mut change = Changed::new(
        Operation::ServiceRequestNoted,
        Some(EventName::ServiceRequestUpdated),
    );
    change.note = Some(text);
    announce(app, &mut tx, Some(ctx), &c, &change, now).await?;
    tx.commit().await?;
    Ok(note)
}

pub async fn notes(app: &App, ctx: &Ctx, id: &str) -> Result<Vec<NoteRow>> {
    let c = visible(app, ctx, id).await?;
    Ok(repo::notes(&app.db, c.id).await?)
}

async fn add_note_in(
    app: &App,
    tx: &mut Tx,
    ctx: &Ctx,
    c: &CaseRow,
    reply_to: Option<NoteId>,
    text: &str,
    now: i64,
) -> Result<NoteRow> {
    let org_name = crate::app::store::identity::tenant(&app.db, ctx.actor.tenant)
        .await?
        .map(|t| t.display_name)
        .unwrap_or_default();
    let n = NoteRow {
        id: NoteId::new(),
        request_id: c.id,
        reply_to,
        author_tenant: ctx.actor.tenant,
        author_name: ctx.upn.clone().unwrap_or_else(|| org_name.clone()),
        organization: org_name,
        tier: c.path.tier_of(ctx.actor.tenant),
        kind: "note".into(),
        text: text.into(),
        created_at: now,
    };
    repo::insert_note(tx, &n).await?;
    Ok(n)
}

// ---------------------------------------------------------------- files

/// Attaches a file (checked: size, allowed type, content matching the type).
pub async fn attach(
    app: &App,
    ctx: &Ctx,
    id: &str,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> Result<AttachmentRow> {
    let c = visible(app, ctx, id).await?;
    ctx.require(
        Action::NoteServiceRequest,
        Resource::ServiceRequest(facts(&c)),
    )?;
    let ct = rules::check_attachment(file_name, content_type, bytes)?;
    if c.status == Status::Closed {
        return Err(Error::conflict("this request is closed; reopen it first"));
    }
    let now = app.clock.now_ms();
    let a = AttachmentRow {
        id: AttachmentId::new(),
        request_id: c.id,
        file_name: file_name.trim().to_string(),
        content_type: ct,
        size_bytes: bytes.len() as i64,
        sha256: hex::encode(Sha256::digest(bytes)),
        stored_path: None,
        author_name: ctx.upn.clone().unwrap_or_default(),
        created_at: now,
    };
    let (a, inline) = match &app.config.support_attachment_dir {
        Some(dir) => (write_file(dir, a, bytes).await?, None),
        None => (a, Some(bytes)),
    };
    let mut tx = app.db.begin().await?;
    repo::insert_attachment(&mut tx, &a, ctx.actor.tenant, inline).await?;
    let mut change = Changed::new(
        Operation::ServiceRequestAttached,
        Some(EventName::ServiceRequestUpdated),
    );
    change.note = Some(format!("{} ({} bytes)", a.file_name, a.size_bytes));
    announce(app, &mut tx, Some(ctx), &c, &change, now).await?;
    tx.commit().await?;
    Ok(a)
}

/// Files go under their id (never the uploaded name), synced before the row commits.
async fn write_file(
    dir: &std::path::Path,
    mut a: AttachmentRow,
    bytes: &[u8],
) -> Result<AttachmentRow> {
    let path = dir.join(a.id.to_string());
    let data = bytes.to_vec();
    let p = path.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(p.parent().expect("has a parent"))?;
        let mut f = std::fs::File::create(&p)?;
        f.write_all(&data)?;
        f.sync_all()
    })
    .await
    .map_err(|e| Error::Internal(e.into()))?
    .map_err(|e| Error::Internal(e.into()))?;
    a.stored_path = Some(path.display().to_string());
    Ok(a)
}

/// One page of a case's notes (oldest first) and how many it has.
pub async fn notes_page(
    app: &App,
    ctx: &Ctx,
    id: &str,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<NoteRow>, i64)> {
    let c = visible(app, ctx, id).await?;
    Ok(repo::notes_page(&app.db, c.id, after, limit).await?)
}

/// One page of a case's attachments (oldest first) and how many it has.
pub async fn attachments_page(
    app: &App,
    ctx: &Ctx,
    id: &str,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<AttachmentRow>, i64)> {
    let c = visible(app, ctx, id).await?;
    Ok(repo::attachments_page(&app.db, c.id, after, limit).await?)
}

pub async fn attachments(app: &App, ctx: &Ctx, id: &str) -> Result<Vec<AttachmentRow>> {
    let c = visible(app, ctx, id).await?;
    Ok(repo::attachments(&app.db, c.id).await?)
}

/// A file and its bytes, for download.
pub async fn download(
    app: &App,
    ctx: &Ctx,
    id: &str,
    attachment: &str,
) -> Result<(AttachmentRow, Vec<u8>)> {
    let c = visible(app, ctx, id).await?;
    let (a, inline) = repo::attachment(&app.db, c.id, attachment)
        .await?
        .ok_or(Error::NotFound("the attachment"))?;
    let bytes = match (inline, &a.stored_path) {
        (Some(b), _) => b,
        (None, Some(p)) => tokio::fs::read(p)
            .await
            .map_err(|e| Error::Internal(e.into()))?,
        (None, None) => return Err(Error::NotFound("the attachment")),
    };
    Ok((a, bytes))
}

// ---------------------------------------------------------------- service levels

/// Breach rates for the operator (every case) or a provider (cases on its path).
pub async fn breach_rates(app: &App, ctx: &Ctx, by_topic: bool) -> Result<Vec<RateRow>> {
    ctx.require(Action::ReadSupportStats, Resource::Tenant(ctx.actor.tenant))?;
    let scope = (!ctx.actor.is_operator()).then_some(ctx.actor.tenant);
    Ok(repo::breach_rates(&app.db, scope, by_topic).await?)
}

/// One pass of the service-level worker: warns the assignee before a goal is missed and
/// records each miss once (the marks' key makes a second pass, or a second node, a no-op).
pub async fn run_service_levels(app: &App) -> anyhow::Result<(usize, usize)> {
    let now = app.clock.now_ms();
    let (mut warned, mut breached) = (0, 0);
    for c in repo::running(&app.db, 1000).await? {
        let clock = clock_of(&c);
        let mut tx = app.db.begin().await?;
        let mut any = false;
        if let Some(goal) = clock.needs_warning(now, c.assigned_at) {
            if repo::mark(&mut tx, c.id, c.tier, goal, "warned", c.assignee, now).await? {
                let mut change = Changed::new(Operation::ServiceRequestSlaWarning, None);
                change.goal = Some(goal);
                announce(app, &mut tx, None, &c, &change, now).await?;
                warned += 1;
                any = true;
            }
        }
        for goal in clock.breaches(now) {
            if repo::mark(&mut tx, c.id, c.tier, goal, "breached", c.assignee, now).await? {
                let mut change = Changed::new(
                    Operation::ServiceRequestSlaBreached,
                    Some(EventName::ServiceRequestBreached),
                );
                change.goal = Some(goal);
                announce(app, &mut tx, None, &c, &change, now).await?;
                breached += 1;
                any = true;
            }
        }
        if any {
            tx.commit().await?;
        }
    }
    Ok((warned, breached))
}

// ---------------------------------------------------------------- audit, events, mail

/// What happened to a case, for the audit record, the event and the mail.
struct Changed {
    what: Operation,
    /// The event partners hear of (service-level warnings raise none).
    event: Option<EventName>,
    note: Option<String>,
    from_status: Option<Status>,
    previous_assignee: Option<TenantId>,
    goal: Option<Goal>,
}

impl Changed {
    fn new(what: Operation, event: Option<EventName>) -> Changed {
        Changed {
            what,
            event,
            note: None,
            from_status: None,
            previous_assignee: None,
            goal: None,
        }
    }
}

async fn announce(
    app: &App,
    tx: &mut Tx,
    ctx: Option<&Ctx>,
    c: &CaseRow,
    change: &Changed,
    now: i64,
) -> Result<()> {
    let org = ctx.map(|x| x.actor.tenant).unwrap_or(c.assignee);
    record(
        tx,
        ctx,
        &org.to_string(),
        Change {
            operation: change.what,
            resource_type: "service_request",
            resource_id: c.id.to_string(),
            old: change
                .from_status
                .map(|s| serde_json::json!({"status": s.as_str()})),
            new: Some(serde_json::json!({
                "status": c.status.as_str(), "tier": c.tier.as_str(),
                "assignee": c.assignee.to_string(), "severity": c.severity.as_str(),
                "goal": change.goal.map(Goal::as_str),
            })),
            customer_id: c.path.at(Tier::Customer).map(|t| t.to_string()),
        },
        now,
    )
    .await?;
    if let Some(event) = change.event {
        let audience: Vec<String> = Tier::ALL
            .iter()
            .filter_map(|t| (*t <= c.tier).then(|| c.path.at(*t)).flatten())
            .chain([c.requester])
            .map(|t| t.to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        events::emit(
            tx,
            now,
            event,
            format!("/v1/servicerequests/{}", c.id),
            &c.title,
            &audience,
        )
        .await?;
    }
    mail(app, tx, ctx, c, change, now).await
}

/// Mails the requester (the user who raised it) and the assignee's support people, each in
/// their own language; the actor is not mailed about their own change, and service-level
/// notices go to the assignee only.
async fn mail(
    app: &App,
    tx: &mut Tx,
    ctx: Option<&Ctx>,
    c: &CaseRow,
    change: &Changed,
    now: i64,
) -> Result<()> {
    let mut to: Vec<(String, String)> = Vec::new();
    // Service-level warnings and breaches are the assignee's business.
    let sla = matches!(
        change.what,
        Operation::ServiceRequestSlaWarning | Operation::ServiceRequestSlaBreached
    );
    if !sla {
        if let Some(u) = &c.requester_user {
            to.extend(repo::user_contact(&app.db, u).await?);
        }
    }
    let roles: &[&str] = match c.tier {
        Tier::Operator => &["operator_admin"],
        _ => &["account_admin", "admin_agent", "helpdesk_agent"],
    };
    to.extend(repo::recipients(&app.db, c.assignee, roles).await?);
    let me = ctx.and_then(|x| x.upn.clone()).unwrap_or_default();
    to.retain(|(upn, _)| !upn.eq_ignore_ascii_case(&me));
    to.sort();
    to.dedup_by(|a, b| a.0 == b.0);
    let template = match change.what {
        Operation::ServiceRequestRaised => crate::mail::Template::ServicerequestCreated,
        Operation::ServiceRequestEscalated => crate::mail::Template::ServicerequestEscalated,
        Operation::ServiceRequestSlaWarning => crate::mail::Template::ServicerequestSlaWarning,
        Operation::ServiceRequestSlaBreached => crate::mail::Template::ServicerequestBreached,
        _ => crate::mail::Template::ServicerequestUpdated,
    };
    for (upn, lang) in to {
        let vars = mail_vars(app, c, ctx, change, &lang);
        crate::app::mailing::enqueue(tx, now, &upn, template, &lang, &vars).await?;
    }
    Ok(())
}

fn mail_vars(
    app: &App,
    c: &CaseRow,
    ctx: Option<&Ctx>,
    change: &Changed,
    lang: &str,
) -> BTreeMap<&'static str, String> {
    let ko = lang == "ko-KR";
    let mut v = BTreeMap::new();
    v.insert("title", c.title.clone());
    v.insert("status", status_label(c.status, ko).into());
    v.insert("severity", severity_label(c.severity, ko).into());
    v.insert("tier", tier_label(c.tier, ko).into());
    v.insert(
        "by",
        ctx.and_then(|x| x.upn.clone())
            .unwrap_or_else(|| "Partner Hub".into()),
    );
    v.insert("note", change.note.clone().unwrap_or_default());
    v.insert(
        "goal",
        match (change.goal, ko) {
            (Some(Goal::FirstResponse), false) => "first response",
            (Some(Goal::FirstResponse), true) => "첫 응답",
            (Some(Goal::Resolution), false) => "resolution",
            (Some(Goal::Resolution), true) => "해결",
            (None, _) => "",
        }
        .into(),
    );
    let due = match change.goal {
        Some(Goal::FirstResponse) => c.first_response_due,
        _ => c.resolution_due,
    };
    v.insert(
        "due",
        crate::clock::from_ms(due)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
    );
    v.insert(
        "url",
        format!("{}/portal/support/{}", app.config.public_url(), c.id),
    );
    v
}

pub fn status_label(s: Status, ko: bool) -> &'static str {
    match (s, ko) {
        (Status::Open, false) => "open",
        (Status::AttentionNeeded, false) => "waiting for your information",
        (Status::Closed, false) => "closed",
        (Status::Open, true) => "진행 중",
        (Status::AttentionNeeded, true) => "정보 요청",
        (Status::Closed, true) => "종료",
    }
}

fn severity_label(s: Severity, ko: bool) -> &'static str {
    match (s, ko) {
        (Severity::Critical, false) => "critical",
        (Severity::High, false) => "high",
        (Severity::Normal, false) => "normal",
        (Severity::Critical, true) => "긴급",
        (Severity::High, true) => "높음",
        (Severity::Normal, true) => "보통",
    }
}

fn tier_label(t: Tier, ko: bool) -> &'static str {
    match (t, ko) {
        (Tier::Customer, false) => "customer",
        (Tier::Reseller, false) => "reseller",
        (Tier::Provider, false) => "provider",
        (Tier::Operator, false) => "operator",
        (Tier::Customer, true) => "고객",
        (Tier::Reseller, true) => "리셀러",
        (Tier::Provider, true) => "공급자",
        (Tier::Operator, true) => "운영자",
    }
}
