//! Enrollment use cases: apply to a program, link a partner-network membership, fill in the
//! application, submit ("enroll now"), verify the contact's e-mail, and the operator's review.
//! Every transition goes through `domain::enrollment::transition` and mails the contact.

use super::audit::{record, Change};
use super::{App, Ctx};
use crate::app::store::enrollments as repo;
/// The rows these use cases hand out (read-only views for adapters).
pub use crate::app::store::enrollments::EnrollmentRow;
use crate::app::store::memberships;
pub use crate::app::store::memberships::Profile;
use crate::app::store::partners::{self, PartnerRow};
use crate::app::store::{identity as ids, links, throttle, Tx};
use crate::crypto;
use crate::domain::audit::Operation;
use crate::domain::authz::{Action, Resource};
use crate::domain::enrollment::{self as rules, Application, Event, Program, Status};
use crate::domain::error::Checks;
use crate::domain::identity::Role;
use crate::domain::ids::EnrollmentId;
use crate::domain::webhook::EventName;
use crate::domain::{Error, Result};
use std::collections::BTreeMap;

pub const VERIFY_PURPOSE: &str = "enrollment_verification";
pub const VERIFY_DAYS: i64 = 7;

fn program_name(p: Program, lang: &str) -> &'static str {
    match (p, lang) {
        (Program::IndirectReseller, "ko-KR") => "간접 리셀러",
        (Program::IndirectProvider, "ko-KR") => "간접 공급자",
        (Program::IndirectReseller, _) => "indirect reseller",
        (Program::IndirectProvider, _) => "indirect provider",
    }
}

/// Loads an application the caller may see: its own tenant's, or any for the operator.
/// Others' applications are "not found".
pub async fn visible(app: &App, ctx: &Ctx, id: EnrollmentId) -> Result<EnrollmentRow> {
    let e = repo::get(&app.db, id)
        .await?
        .ok_or(Error::NotFound("enrollment"))?;
    if e.tenant_id == ctx.actor.tenant || ctx.actor.is_operator() {
        Ok(e)
    } else {
        Err(Error::NotFound("enrollment"))
    }
}

async fn editable(tx: &mut Tx, ctx: &Ctx, id: EnrollmentId) -> Result<EnrollmentRow> {
    let e = repo::get_for_update(tx, id)
        .await?
        .ok_or(Error::NotFound("enrollment"))?;
    if e.tenant_id != ctx.actor.tenant {
        return Err(Error::NotFound("enrollment"));
    }
    ctx.require(Action::ManageEnrollment, Resource::Tenant(e.tenant_id))?;
    if !e.status.editable() {
        return Err(Error::conflict(format!(
            "the application is {} and cannot be changed now",
            e.status.as_str().replace('_', " ")
        )));
    }
    Ok(e)
}

/// Tells the applicant's organisation (webhooks, notifications) that the status moved.
async fn status_changed(tx: &mut Tx, e: &EnrollmentRow, now: i64) -> Result<()> {
    super::events::emit(
        tx,
        now,
        EventName::EnrollmentStatusChanged,
        format!("/v1/enrollments/{}", e.id),
        &format!("{} {}", e.program.as_str(), e.status.as_str()),
        &[e.tenant_id.to_string()],
    )
    .await?;
    Ok(())
}

async fn save(tx: &mut Tx, e: &mut EnrollmentRow, now: i64) -> Result<()> {
    e.updated_at = now;
    if !repo::save(tx, e).await? {
        return Err(Error::conflict(
            "the application changed meanwhile; reload it and try again",
        ));
    }
    e.version += 1;
    Ok(())
}

/// Starts (or returns) the tenant's application to a program.
pub async fn start(app: &App, ctx: &Ctx, program: Program) -> Result<(EnrollmentRow, bool)> {
    ctx.require(Action::ManageEnrollment, Resource::Tenant(ctx.actor.tenant))?;
    let existing_partner = partners::get(&app.db, ctx.actor.tenant).await?;
    if existing_partner.as_ref().is_some_and(|p| p.has(program)) {
        return Err(Error::conflict(format!(
            "this organisation is already enrolled as an {}",
            program_name(program, "en-US")
        )));
    }
    let now = app.clock.now_ms();
    let user = ctx
        .actor
        .user_id()
        .expect("ManageEnrollment requires a user");
    let draft = EnrollmentRow {
        id: EnrollmentId::new(),
        tenant_id: ctx.actor.tenant,
        program,
        status: Status::Draft,
        applicant_user_id: user,
        support_only: existing_partner.is_some(),
        mpn_id: existing_partner.as_ref().map(|p| p.org_mpn_id),
        profile_id: existing_partner.as_ref().map(|p| p.mpn_id),
        application: existing_partner.map(|p| p.legal).unwrap_or_default(),
        review_note: None,
        reviewed_by: None,
        submitted_at: None,
        verified_at: None,
        decided_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let mut tx = app.db.begin().await?;
    let row = repo::insert_or_get(&mut tx, &draft).await?;
    let created = row.id == draft.id;
    if created {
        record(
            &mut tx,
            Some(ctx),
            &ctx.actor.tenant.to_string(),
            Change {
                operation: Operation::StartEnrollment,
                resource_type: "enrollment",
                resource_id: row.id.to_string(),
                old: None,
                new: Some(serde_json::json!({ "program": program.as_str() })),
                customer_id: None,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok((row, created))
}

/// Signs in to a partner-network membership and links it; returns its profiles to choose from.
pub async fn link_membership(
    app: &App,
    ctx: &Ctx,
    id: EnrollmentId,
    username: &str,
    password: &str,
) -> Result<(EnrollmentRow, Vec<Profile>)> {
    // The caller must own the application before a credential is even looked at, so the
    // endpoint is no password oracle for other tenants' callers.
    let own = repo::get(&app.db, id)
        .await?
        .filter(|e| e.tenant_id == ctx.actor.tenant)
        .ok_or(Error::NotFound("enrollment"))?;
    ctx.require(Action::ManageEnrollment, Resource::Tenant(own.tenant_id))?;
    let key = format!("membership:{}", username.trim().to_ascii_lowercase());
    let now = app.clock.now_ms();
    let until = throttle::locked_until(&app.db, &key).await?;
    if until > now {
        return Err(Error::Throttled {
            retry_after_secs: ((until - now) / 1000).max(1) as u64,
        });
    }
    let membership = memberships::by_username(&app.db, username).await?;
    let ok = crypto::verify_password_blocking(
        password.to_string(),
        membership.as_ref().map(|m| m.password_hash.clone()),
    )
    .await;
    let Some(membership) = membership.filter(|_| ok) else {
        throttle::record_failure(
            &app.db,
            &key,
            now,
            900_000,
            app.config.signin_max_failures,
            60_000,
        )
        .await?;
        return Err(Error::field(
            "membershipUsername",
            "the membership user name or password is not correct",
        ));
    };
    throttle::clear(&app.db, &key).await?;
    let profiles = memberships::profiles(&app.db, membership.mpn_id).await?;
    let mut tx = app.db.begin().await?;
    let mut e = editable(&mut tx, ctx, id).await?;
    if e.support_only {
        return Err(Error::conflict(
            "this organisation's membership is linked already",
        ));
    }
    e.mpn_id = Some(membership.mpn_id);
    e.profile_id = None;
    save(&mut tx, &mut e, now).await?;
    tx.commit().await?;
    Ok((e, profiles))
}

/// Chooses the organisation profile; it must be in the tenant's country.
pub async fn choose_profile(
    app: &App,
    ctx: &Ctx,
    id: EnrollmentId,
    profile_id: i64,
) -> Result<EnrollmentRow> {
    let tenant = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut e = editable(&mut tx, ctx, id).await?;
    let Some(mpn) = e.mpn_id.filter(|_| !e.support_only) else {
        return Err(Error::field(
            "profileId",
            "sign in to a partner-network membership first",
        ));
    };
    let profiles = memberships::profiles(&app.db, mpn).await?;
    let Some(p) = profiles.iter().find(|p| p.profile_id == profile_id) else {
        return Err(Error::field(
            "profileId",
            "choose one of this membership's organisation profiles",
        ));
    };
    if p.country != tenant.country {
        return Err(Error::field(
            "profileId",
            format!(
                "the profile {} is in {}, but your directory tenant is in {}: choose a profile in {}",
                p.profile_id, p.country, tenant.country, tenant.country
            ),
        ));
    }
    if partners::by_mpn(&app.db, profile_id).await?.is_some() {
        return Err(Error::field(
            "profileId",
            "this profile is already linked to another partner account",
        ));
    }
    e.profile_id = Some(profile_id);
    if e.application.country.is_empty() {
        e.application.country = tenant.country.clone();
    }
    save(&mut tx, &mut e, now).await?;
    tx.commit().await?;
    Ok(e)
}

/// "Cancel and sign in with another membership".
pub async fn unlink_membership(app: &App, ctx: &Ctx, id: EnrollmentId) -> Result<EnrollmentRow> {
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut e = editable(&mut tx, ctx, id).await?;
    if e.support_only {
        return Err(Error::conflict(
            "this organisation's membership cannot be changed here",
        ));
    }
    e.mpn_id = None;
    e.profile_id = None;
    save(&mut tx, &mut e, now).await?;
    tx.commit().await?;
    Ok(e)
}

/// Keeps what was entered so far, valid or not (a form that fails keeps its values).
pub async fn save_draft(
    app: &App,
    ctx: &Ctx,
    id: EnrollmentId,
    a: Application,
) -> Result<EnrollmentRow> {
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut e = editable(&mut tx, ctx, id).await?;
    e.application = a;
    save(&mut tx, &mut e, now).await?;
    tx.commit().await?;
    Ok(e)
}

fn vars<'a>(e: &EnrollmentRow, org: &str, lang: &str, url: String) -> BTreeMap<&'a str, String> {
    let mut v = BTreeMap::new();
    v.insert(
        "name",
        format!(
            "{} {}",
            e.application.contact_first_name, e.application.contact_last_name
        )
        .trim()
        .to_string(),
    );
    v.insert("org", org.to_string());
    v.insert("program", program_name(e.program, lang).to_string());
    v.insert("url", url);
    v.insert("note", e.review_note.clone().unwrap_or_default());
    v
}

async fn applicant_language(app: &App, e: &EnrollmentRow) -> Result<String> {
    Ok(ids::user(&app.db, e.applicant_user_id)
        .await?
        .map(|u| u.language)
        .unwrap_or_else(|| "en-US".into()))
}

/// "Enroll now": validates everything, then asks the contact to verify the address (or goes
/// straight to review when the contact is already verified).
pub async fn submit(
    app: &App,
    ctx: &Ctx,
    id: EnrollmentId,
    a: Option<Application>,
) -> Result<EnrollmentRow> {
    let tenant = ids::tenant(&app.db, ctx.actor.tenant)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut e = editable(&mut tx, ctx, id).await?;
    let previous = e.application.clone();
    if let Some(a) = a {
        e.application = a;
    }
    if e.support_only {
        let mut checks = Checks::new();
        rules::validate_support(&e.application, &mut checks);
        checks.finish()?;
    } else {
        if e.mpn_id.is_none() || e.profile_id.is_none() {
            return Err(Error::field(
                "profileId",
                "link a partner-network membership and choose its profile first",
            ));
        }
        rules::validate(&e.application, &tenant.country)?;
    }
    let contact_verified = e.support_only
        || (e.verified_at.is_some()
            && previous
                .contact_email
                .eq_ignore_ascii_case(&e.application.contact_email));
    let next = rules::transition(
        e.status,
        Event::Submit {
            verified_contact: contact_verified,
        },
    )?;
    e.status = next;
    e.submitted_at = Some(now);
    e.review_note = None;
    if next == Status::AwaitingEmailVerification {
        e.verified_at = None;
    }
    save(&mut tx, &mut e, now).await?;
    status_changed(&mut tx, &e, now).await?;
    let lang = applicant_language(app, &e).await?;
    let base = app.config.public_url();
    if next == Status::AwaitingEmailVerification {
        links::revoke_subject(&mut tx, VERIFY_PURPOSE, &e.id.to_string(), now).await?;
        let token = crypto::random_token(32);
        links::insert(
            &mut tx,
            &crypto::token_hash(&token),
            VERIFY_PURPOSE,
            &e.id.to_string(),
            now,
            now + VERIFY_DAYS * crate::clock::DAY_MS,
        )
        .await?;
        let mut v = vars(
            &e,
            &tenant.display_name,
            &lang,
            format!("{base}/portal/enroll/verify?token={token}"),
        );
        v.insert("days", VERIFY_DAYS.to_string());
        v.insert(
            "api",
            crate::mail::templates::api_call(&base, "/v1/enrollments/verification", &token, ""),
        );
        crate::app::mailing::enqueue(
            &mut tx,
            now,
            &e.application.contact_email,
            crate::mail::Template::EnrollmentVerify,
            &lang,
            &v,
        )
        .await?;
    } else {
        let v = vars(
            &e,
            &tenant.display_name,
            &lang,
            format!("{base}/portal/enrollment/{}", e.id),
        );
        crate::app::mailing::enqueue(
            &mut tx,
            now,
            &e.application.contact_email,
            crate::mail::Template::EnrollmentUnderReview,
            &lang,
            &v,
        )
        .await?;
    }
    record(
        &mut tx,
        Some(ctx),
        &tenant.id.to_string(),
        Change {
            operation: Operation::SubmitEnrollment,
            resource_type: "enrollment",
            resource_id: e.id.to_string(),
            old: None,
            new: Some(
                serde_json::json!({ "status": next.as_str(), "program": e.program.as_str() }),
            ),
            customer_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(e)
}

/// Why a verification link did not work, for a clear page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Expired,
    Used,
}

/// Follows the contact's verification link: valid once, until it expires.
pub async fn verify_email(
    app: &App,
    token: &str,
) -> Result<std::result::Result<EnrollmentRow, LinkProblem>> {
    let hash = crypto::token_hash(token.trim());
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let Some(link) = links::get_for_update(&mut tx, &hash).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if link.purpose != VERIFY_PURPOSE || link.revoked_at.is_some() {
        return Ok(Err(LinkProblem::Unknown));
    }
    if link.used_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if link.expires_at <= now {
        return Ok(Err(LinkProblem::Expired));
    }
    let Ok(id) = link.subject_id.parse::<EnrollmentId>() else {
        return Ok(Err(LinkProblem::Unknown));
    };
    let mut e = repo::get_for_update(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("enrollment"))?;
    let next = match rules::transition(e.status, Event::VerifyEmail) {
        Ok(n) => n,
        Err(_) => return Ok(Err(LinkProblem::Used)),
    };
    if !links::mark_used(&mut tx, &hash, now).await? {
        return Ok(Err(LinkProblem::Used));
    }
    e.status = next;
    e.verified_at = Some(now);
    save(&mut tx, &mut e, now).await?;
    status_changed(&mut tx, &e, now).await?;
    let tenant = ids::tenant(&app.db, e.tenant_id)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let lang = applicant_language(app, &e).await?;
    let v = vars(
        &e,
        &tenant.display_name,
        &lang,
        format!("{}/portal/enrollment/{}", app.config.public_url(), e.id),
    );
    crate::app::mailing::enqueue(
        &mut tx,
        now,
        &e.application.contact_email,
        crate::mail::Template::EnrollmentUnderReview,
        &lang,
        &v,
    )
    .await?;
    record(&mut tx, None, &tenant.id.to_string(), Change {
        operation: Operation::VerifyEnrollmentEmail,
        resource_type: "enrollment",
        resource_id: e.id.to_string(),
        old: None,
        new: Some(serde_json::json!({ "status": next.as_str(), "contactEmail": e.application.contact_email })),
        customer_id: None,
    }, now).await?;
    tx.commit().await?;
    Ok(Ok(e))
}

#[derive(Debug, Clone)]
pub enum Decision {
    Approve,
    Reject { reason: String },
    RequestInfo { message: String },
}

/// The operator's decision on an application under review.
pub async fn review(
    app: &App,
    ctx: &Ctx,
    id: EnrollmentId,
    decision: Decision,
) -> Result<EnrollmentRow> {
    ctx.require(Action::ReviewEnrollments, Resource::Platform)?;
    let (event, note) = match &decision {
        Decision::Approve => (Event::Approve, None),
        Decision::Reject { reason } => (Event::Reject, Some(reason.trim().to_string())),
        Decision::RequestInfo { message } => (Event::RequestInfo, Some(message.trim().to_string())),
    };
    if let Some(n) = &note {
        if n.is_empty() || n.chars().count() > 2000 {
            let field = if matches!(decision, Decision::Reject { .. }) {
                "reason"
            } else {
                "message"
            };
            return Err(Error::field(
                field,
                "write 1 to 2000 characters for the applicant",
            ));
        }
    }
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    let mut e = repo::get_for_update(&mut tx, id)
        .await?
        .ok_or(Error::NotFound("enrollment"))?;
    let next = rules::transition(e.status, event)?;
    e.status = next;
    e.review_note = note;
    e.reviewed_by = ctx.upn.clone();
    if matches!(next, Status::Authorized | Status::Rejected) {
        e.decided_at = Some(now);
    }
    save(&mut tx, &mut e, now).await?;
    status_changed(&mut tx, &e, now).await?;
    if next == Status::Authorized {
        authorize(&mut tx, &e, now).await?;
    }
    let tenant = ids::tenant(&app.db, e.tenant_id)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let lang = applicant_language(app, &e).await?;
    let base = app.config.public_url();
    let (template, url) = match next {
        Status::Authorized => (
            crate::mail::Template::EnrollmentAuthorized,
            format!("{base}/portal/agreement"),
        ),
        Status::Rejected => (
            crate::mail::Template::EnrollmentRejected,
            format!("{base}/portal/enrollment/{}", e.id),
        ),
        _ => (
            crate::mail::Template::EnrollmentMoreInfo,
            format!("{base}/portal/enrollment/{}", e.id),
        ),
    };
    let v = vars(&e, &tenant.display_name, &lang, url);
    crate::app::mailing::enqueue(
        &mut tx,
        now,
        &e.application.contact_email,
        template,
        &lang,
        &v,
    )
    .await?;
    // Both the operator's log and the applicant's log show the decision.
    for org in [ctx.actor.tenant, tenant.id] {
        record(
            &mut tx,
            Some(ctx),
            &org.to_string(),
            Change {
                operation: Operation::ReviewEnrollment,
                resource_type: "enrollment",
                resource_id: e.id.to_string(),
                old: None,
                new: Some(serde_json::json!({ "status": next.as_str(), "note": e.review_note })),
                customer_id: None,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(e)
}

/// Creates (or extends) the partner account and puts the applicant in the admin agent group.
async fn authorize(tx: &mut Tx, e: &EnrollmentRow, now: i64) -> Result<()> {
    match partners::get_in(tx, e.tenant_id).await? {
        Some(mut p) => {
            match e.program {
                Program::IndirectReseller => p.is_reseller = true,
                Program::IndirectProvider => p.is_provider = true,
            }
            p.legal.support_email = e.application.support_email.clone();
            p.legal.support_phone = e.application.support_phone.clone();
            p.legal.support_website = e.application.support_website.clone();
            if !partners::save(tx, &p).await? {
                return Err(Error::conflict(
                    "the partner account changed meanwhile; try again",
                ));
            }
        }
        None => {
            let p = PartnerRow {
                tenant_id: e.tenant_id,
                mpn_id: e.profile_id.ok_or_else(|| {
                    Error::conflict("the application has no partner-network profile")
                })?,
                org_mpn_id: e.mpn_id.unwrap_or_default(),
                is_reseller: e.program == Program::IndirectReseller,
                is_provider: e.program == Program::IndirectProvider,
                status: crate::domain::partnership::PartnerStatus::Active,
                legal: e.application.clone(),
                created_at: now,
                version: 1,
            };
            match partners::insert(tx, &p).await {
                Err(err) if crate::app::store::is_unique_violation(&err) => {
                    return Err(Error::conflict(
                        "this partner-network profile is already linked to another partner account",
                    ))
                }
                r => r?,
            }
        }
    }
    sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT (user_id, role) DO NOTHING")
        .bind(e.applicant_user_id.to_string())
        .bind(Role::AdminAgent.as_str())
        .execute(tx.conn().await?)
        .await?;
    Ok(())
}

/// Records that the organisation accepted the current partner agreement.
pub async fn accept_agreement(app: &App, ctx: &Ctx, version: &str) -> Result<partners::Acceptance> {
    ctx.require(Action::AcceptAgreement, Resource::Tenant(ctx.actor.tenant))?;
    let current = partners::current_agreement(&app.db).await?;
    if current.version != version {
        return Err(Error::field(
            "version",
            format!("the current agreement is version {}", current.version),
        ));
    }
    let user = ctx
        .actor
        .user_id()
        .expect("AcceptAgreement requires a user");
    let upn = ctx.upn.clone().unwrap_or_default();
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    if partners::accept(&mut tx, ctx.actor.tenant, version, user, &upn, now).await? {
        record(
            &mut tx,
            Some(ctx),
            &ctx.actor.tenant.to_string(),
            Change {
                operation: Operation::AcceptPartnerAgreement,
                resource_type: "agreement",
                resource_id: version.to_string(),
                old: None,
                new: Some(serde_json::json!({ "version": version, "acceptedBy": upn })),
                customer_id: None,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    partners::acceptance(&app.db, ctx.actor.tenant, version)
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("acceptance not stored")))
}

// --- Reads: what the API and the portal may show of applications ----------------------------

pub use crate::app::store::partners::{Acceptance, Agreement};

/// Which applications the caller sees in a list: the operator reviews every tenant's, anyone
/// else sees their own organisation's.
fn list_scope(ctx: &Ctx, status: Option<Status>) -> Result<repo::Filter> {
    let tenant = if ctx.actor.is_operator() {
        ctx.require(Action::ReviewEnrollments, Resource::Platform)?;
        None
    } else {
        ctx.require(Action::ReadTenant, Resource::Tenant(ctx.actor.tenant))?;
        Some(ctx.actor.tenant)
    };
    Ok(repo::Filter { tenant, status })
}

/// One keyset page of the applications the caller may see (oldest change first, after
/// `(updated_at, id)`) and how many there are.
pub async fn page(
    app: &App,
    ctx: &Ctx,
    status: Option<Status>,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<EnrollmentRow>, i64)> {
    let filter = list_scope(ctx, status)?;
    Ok(repo::page(&app.db, filter, after, limit).await?)
}

/// The operator's review queue: a page of applications with each applicant's organisation
/// name (one more query for the page, not one per row).
/// Its position is the last row's (change time, id), like [`page`]'s; it also answers how
/// many applications match.
pub async fn review_queue(
    app: &App,
    ctx: &Ctx,
    status: Option<Status>,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<(EnrollmentRow, String)>, i64)> {
    ctx.require(Action::ReviewEnrollments, Resource::Platform)?;
    let filter = repo::Filter {
        tenant: None,
        status,
    };
    let (rows, total) = repo::page(&app.db, filter, after, limit).await?;
    let ids: Vec<_> = rows.iter().map(|e| e.tenant_id).collect();
    let names = ids::tenant_names(&app.db, &ids).await?;
    let named = rows
        .into_iter()
        .map(|e| {
            let name = names.get(&e.tenant_id).cloned().unwrap_or_default();
            (e, name)
        })
        .collect();
    Ok((named, total))
}

/// The caller's organisation's most recently changed application, if any.
pub async fn newest_own(app: &App, ctx: &Ctx) -> Result<Option<EnrollmentRow>> {
    ctx.require(Action::ReadTenant, Resource::Tenant(ctx.actor.tenant))?;
    Ok(repo::of_tenant(&app.db, ctx.actor.tenant)
        .await?
        .into_iter()
        .max_by_key(|e| e.updated_at))
}

/// What an application page shows besides the application: the applicant's organisation and,
/// while a profile is to be chosen, the linked membership's profiles.
pub struct StepFacts {
    pub tenant: ids::TenantRow,
    pub profiles: Vec<Profile>,
}

/// Facts for an application the caller may see (its own organisation's, or the operator).
pub async fn step_facts(app: &App, ctx: &Ctx, e: &EnrollmentRow) -> Result<StepFacts> {
    if e.tenant_id != ctx.actor.tenant && !ctx.actor.is_operator() {
        return Err(Error::NotFound("enrollment"));
    }
    let tenant = ids::tenant(&app.db, e.tenant_id)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let profiles = match (e.mpn_id, e.profile_id) {
        (Some(mpn), None) if !e.support_only => memberships::profiles(&app.db, mpn).await?,
        _ => Vec::new(),
    };
    Ok(StepFacts { tenant, profiles })
}

/// The current partner agreement and the caller's organisation's acceptance of it.
pub async fn agreement_status(app: &App, ctx: &Ctx) -> Result<(Agreement, Option<Acceptance>)> {
    ctx.require(Action::ReadTenant, Resource::Tenant(ctx.actor.tenant))?;
    let a = partners::current_agreement(&app.db).await?;
    let acc = partners::acceptance(&app.db, ctx.actor.tenant, &a.version).await?;
    Ok((a, acc))
}
