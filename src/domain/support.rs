//! Support requests through the tiers: a case climbs customer -> reseller -> provider ->
//! operator, one tier at a time, keeping one thread that every organisation on its path up to
//! the current assignee can read. Status, severity and tier are enums mapped to text once
//! here; service levels are computed from an injected "now".

use super::authz::{Actor, Decision};
use super::error::{Checks, Error, Result};
use super::identity::{Role, TenantKind};
use super::ids::TenantId;
use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|x| x.as_str().eq_ignore_ascii_case(s.trim()))
            }
        }
    };
}

/// The public API's three statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Open,
    AttentionNeeded,
    Closed,
}
text_enum!(Status { Open => "open", AttentionNeeded => "attentionNeeded", Closed => "closed" });

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    Critical,
    High,
    Normal,
}
text_enum!(Severity { Critical => "critical", High => "high", Normal => "normal" });

/// The tiers of the channel, lowest first; a case is raised at one and answered one higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    Customer,
    Reseller,
    Provider,
    Operator,
}
text_enum!(Tier { Customer => "customer", Reseller => "reseller", Provider => "provider", Operator => "operator" });

impl Tier {
    fn index(self) -> usize {
        self as usize
    }
    fn above(self) -> Option<Tier> {
        match self {
            Tier::Customer => Some(Tier::Reseller),
            Tier::Reseller => Some(Tier::Provider),
            Tier::Provider => Some(Tier::Operator),
            Tier::Operator => None,
        }
    }
}

/// The organisations a case can pass through, one per tier (absent where the channel has
/// none, e.g. a customer served by a provider alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Path(pub [Option<TenantId>; 4]);

impl Path {
    pub fn at(&self, tier: Tier) -> Option<TenantId> {
        self.0[tier.index()]
    }
    /// The next organisation above `tier` that exists on the path.
    pub fn next_above(&self, tier: Tier) -> Option<(Tier, TenantId)> {
        let mut t = tier.above();
        while let Some(x) = t {
            if let Some(org) = self.at(x) {
                return Some((x, org));
            }
            t = x.above();
        }
        None
    }
    /// The tier an organisation holds on this path, if any.
    pub fn tier_of(&self, org: TenantId) -> Option<Tier> {
        Tier::ALL.iter().copied().find(|t| self.at(*t) == Some(org))
    }
}

/// What authorization needs to know about one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    pub path: Path,
    /// The organisation that raised it.
    pub requester: TenantId,
    /// The tier holding it now; organisations above it do not see it (yet).
    pub assigned: Tier,
}

impl CaseFacts {
    pub fn assignee(&self) -> Option<TenantId> {
        self.path.at(self.assigned)
    }
    /// On the path at or below the assignee: the thread is theirs.
    pub fn is_party(&self, org: TenantId) -> bool {
        org == self.requester
            || Tier::ALL
                .iter()
                .any(|t| *t <= self.assigned && self.path.at(*t) == Some(org))
    }
}

/// Roles that work support in each kind of organisation.
fn supports(actor: &Actor) -> bool {
    match actor.tenant_kind {
        TenantKind::Customer => {
            actor.has(Role::GlobalAdministrator) || actor.has(Role::HelpdeskAdministrator)
        }
        TenantKind::Partner => {
            actor.partner.as_ref().is_some_and(|p| p.active)
                && [Role::AccountAdmin, Role::AdminAgent, Role::HelpdeskAgent]
                    .iter()
                    .any(|r| actor.has(*r))
        }
        TenantKind::Operator => actor.is_operator(),
    }
}

/// Support actions on the caller's own organisation: list its cases, raise one for itself,
/// set its service levels, see breach rates (operator and providers).
pub(crate) fn on_own_tenant(actor: &Actor, action: SupportAction) -> Decision {
    let partner_admin = actor.partner.as_ref().is_some_and(|p| p.active)
        && (actor.has(Role::AccountAdmin) || actor.has(Role::AdminAgent));
    let ok = match action {
        SupportAction::List => supports(actor),
        SupportAction::RaiseOwn => supports(actor) && actor.tenant_kind != TenantKind::Operator,
        SupportAction::ReadTargets => supports(actor) && actor.tenant_kind != TenantKind::Customer,
        SupportAction::SetTargets => partner_admin || actor.is_operator(),
        SupportAction::ReadStats => {
            actor.is_operator()
                || (supports(actor) && actor.partner.as_ref().is_some_and(|p| p.is_provider))
        }
        _ => false,
    };
    if ok {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// Raising for a customer: the customer itself, or a partner serving it.
pub(crate) fn on_customer(actor: &Actor, customer: TenantId, relationship: bool) -> Decision {
    let ok = supports(actor)
        && ((actor.tenant_kind == TenantKind::Customer && actor.tenant == customer)
            || (actor.tenant_kind == TenantKind::Partner && relationship));
    if ok {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// One case: parties read and write notes; the requester and the assignee move it; only the
/// assignee escalates, and only while a tier above it exists.
pub(crate) fn on_case(actor: &Actor, action: SupportAction, f: &CaseFacts) -> Decision {
    let me = actor.tenant;
    let ok = supports(actor)
        && f.is_party(me)
        && match action {
            SupportAction::Read | SupportAction::Note => true,
            SupportAction::Update => me == f.requester || f.assignee() == Some(me),
            SupportAction::Escalate => {
                f.assignee() == Some(me) && f.path.next_above(f.assigned).is_some()
            }
            _ => false,
        };
    if ok {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// The support part of [`super::authz::Action`], kept apart so the rules read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SupportAction {
    List,
    RaiseOwn,
    ReadTargets,
    SetTargets,
    ReadStats,
    Read,
    Note,
    Update,
    Escalate,
}

/// What a party may do to the status. The requester withdraws (closes) or reopens; the
/// assignee answers (open), asks for information (attentionNeeded) or resolves (closed).
pub fn may_set_status(
    from: Status,
    to: Status,
    by_assignee: bool,
    by_requester: bool,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let ok = match (from, to) {
        (Status::Closed, Status::Open) => by_requester || by_assignee,
        (Status::Closed, _) => false,
        (_, Status::Closed) => by_requester || by_assignee,
        (_, Status::AttentionNeeded) => by_assignee,
        (Status::AttentionNeeded, Status::Open) => by_requester || by_assignee,
        _ => false,
    };
    if ok {
        Ok(())
    } else if from == Status::Closed {
        Err(Error::conflict("this request is closed; reopen it first"))
    } else {
        Err(Error::field(
            "status",
            format!(
                "{} cannot move this request from {} to {}",
                if by_assignee {
                    "the assignee"
                } else {
                    "the requester"
                },
                from.as_str(),
                to.as_str()
            ),
        ))
    }
}

/// Where an escalation goes: the next organisation above the current tier.
pub fn escalate(f: &CaseFacts, status: Status) -> Result<(Tier, TenantId)> {
    if status == Status::Closed {
        return Err(Error::conflict("a closed request cannot be escalated"));
    }
    f.path
        .next_above(f.assigned)
        .ok_or_else(|| Error::conflict("there is no tier above this one to escalate to"))
}

/// First-response and resolution targets of one tier for one severity, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub severity: Severity,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

/// Targets a tier has until it sets its own.
pub fn default_target(severity: Severity) -> Target {
    let (first, resolve) = match severity {
        Severity::Critical => (60, 8 * 60),
        Severity::High => (4 * 60, 24 * 60),
        Severity::Normal => (8 * 60, 72 * 60),
    };
    Target {
        severity,
        first_response_minutes: first,
        resolution_minutes: resolve,
    }
}

pub fn validate_target(c: &mut Checks, field: &str, t: &Target) {
    let week = 60 * 24 * 60;
    c.check(
        (1..=week).contains(&t.first_response_minutes),
        &format!("{field}.firstResponseMinutes"),
        "between 1 minute and 60 days",
    );
    c.check(
        (1..=week).contains(&t.resolution_minutes),
        &format!("{field}.resolutionMinutes"),
        "between 1 minute and 60 days",
    );
    c.check(
        t.resolution_minutes >= t.first_response_minutes,
        &format!("{field}.resolutionMinutes"),
        "at least the first-response target",
    );
}

/// The service-level clock of the tier holding a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub first_response_due: i64,
    pub resolution_due: i64,
    pub responded_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// Which target is at stake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Goal {
    FirstResponse,
    Resolution,
}
text_enum!(Goal { FirstResponse => "firstResponse", Resolution => "resolution" });

impl Clock {
    pub fn start(assigned_at: i64, t: &Target) -> Clock {
        Clock {
            first_response_due: assigned_at + t.first_response_minutes * 60_000,
            resolution_due: assigned_at + t.resolution_minutes * 60_000,
            responded_at: None,
            closed_at: None,
        }
    }
    /// The goal still running and its due time (first response until answered).
    pub fn running(&self) -> Option<(Goal, i64)> {
        if self.closed_at.is_some() {
            None
        } else if self.responded_at.is_none() {
            Some((Goal::FirstResponse, self.first_response_due))
        } else {
            Some((Goal::Resolution, self.resolution_due))
        }
    }
    /// Milliseconds left on the running goal (negative once breached).
    pub fn time_left(&self, now: i64) -> Option<i64> {
        self.running().map(|(_, due)| due - now)
    }
    /// Goals missed by `now`, in order.
    pub fn breaches(&self, now: i64) -> Vec<Goal> {
        let mut out = Vec::new();
        let answered = self.responded_at.or(self.closed_at).unwrap_or(now);
        if answered > self.first_response_due {
            out.push(Goal::FirstResponse);
        }
        let resolved = self.closed_at.unwrap_or(now);
        if resolved > self.resolution_due {
            out.push(Goal::Resolution);
        }
        out
    }
    /// The running goal is within the warning window (a fifth of its span, at least ten
    /// minutes) and not yet breached.
    pub fn needs_warning(&self, now: i64, assigned_at: i64) -> Option<Goal> {
        let (goal, due) = self.running()?;
        let span = (due - assigned_at).max(0);
        let window = (span / 5).max(10 * 60_000);
        (now <= due && due - now <= window).then_some(goal)
    }
}

/// A new request's content, checked whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub topic_id: String,
    pub product_name: String,
    pub contact_name: String,
    pub contact_email: String,
}

pub struct DraftInput<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub severity: &'a str,
    pub topic_id: &'a str,
    pub product_name: &'a str,
    pub contact_name: &'a str,
    pub contact_email: &'a str,
}

pub fn text(c: &mut Checks, field: &str, v: &str, max: usize, required: bool) -> String {
    let v = v.trim();
    c.check(!required || !v.is_empty(), field, "this is required");
    c.check(
        v.chars().count() <= max,
        field,
        &format!("at most {max} characters"),
    );
    c.check(
        !v.chars()
            .any(|ch| ch.is_control() && ch != '\n' && ch != '\t'),
        field,
        "control characters are not allowed",
    );
    v.to_string()
}

pub fn validate(i: &DraftInput<'_>) -> Result<Draft> {
    let mut c = Checks::new();
    let title = text(&mut c, "title", i.title, 200, true);
    let description = text(&mut c, "description", i.description, 10_000, true);
    let severity = Severity::parse(i.severity);
    c.check(severity.is_some(), "severity", "critical, high or normal");
    let topic_id = text(&mut c, "supportTopicId", i.topic_id, 100, true);
    let product_name = text(&mut c, "productName", i.product_name, 200, false);
    let contact_name = text(&mut c, "primaryContact.name", i.contact_name, 200, false);
    let contact_email = i.contact_email.trim();
    if !contact_email.is_empty() {
        c.parse(super::identity::Email::parse(
            "primaryContact.email",
            contact_email,
        ));
    }
    c.finish()?;
    Ok(Draft {
        title,
        description,
        severity: severity.expect("checked"),
        topic_id,
        product_name,
        contact_name,
        contact_email: contact_email.to_ascii_lowercase(),
    })
}

/// Attachments: at most 10 MB, of an allowed type whose first bytes match the type claimed.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

pub const ALLOWED_TYPES: &[&str] = &[
    "text/plain",
    "text/csv",
    "application/json",
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "application/zip",
];

/// Checks an upload and answers its normalised content type.
pub fn check_attachment(file_name: &str, content_type: &str, bytes: &[u8]) -> Result<String> {
    let mut c = Checks::new();
    let name = text(&mut c, "fileName", file_name, 200, true);
    c.check(
        !name.contains(['/', '\\']) && !name.starts_with('.'),
        "fileName",
        "a plain file name, without folders",
    );
    c.finish()?;
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !ALLOWED_TYPES.contains(&ct.as_str()) {
        return Err(Error::field(
            "contentType",
            format!(
                "files of type '{ct}' are not accepted; allowed: {}",
                ALLOWED_TYPES.join(", ")
            ),
        ));
    }
    if bytes.is_empty() {
        return Err(Error::field("file", "the file is empty"));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::field("file", "files are limited to 10 MB each"));
    }
    if !magic_matches(&ct, bytes) {
        return Err(Error::field(
            "file",
            format!("the file's content does not look like {ct}"),
        ));
    }
    Ok(ct)
}

fn magic_matches(ct: &str, b: &[u8]) -> bool {
    let looks_textual = || {
        let head = &b[..b.len().min(4096)];
        // A character cut at the 4 KiB boundary is still text.
        match std::str::from_utf8(head) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
        }
    };
    let html_like = || {
        let head = String::from_utf8_lossy(&b[..b.len().min(512)]).to_ascii_lowercase();
        let head = head.trim_start();
        ["<!doctype", "<html", "<script", "<svg", "<?xml"]
            .iter()
            .any(|m| head.starts_with(m))
    };
    match ct {
        "application/pdf" => b.starts_with(b"%PDF-"),
        "image/png" => b.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => b.starts_with(b"\xff\xd8\xff"),
        "image/gif" => b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a"),
        "application/zip" => b.starts_with(b"PK\x03\x04"),
        _ => looks_textual() && !html_like(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::authz::{PartnerFacts, Principal};
    use crate::domain::ids::UserId;

    fn actor(tenant: TenantId, kind: TenantKind, roles: &[Role]) -> Actor {
        Actor {
            principal: Principal::User(UserId::new()),
            tenant,
            tenant_kind: kind,
            roles: roles.iter().copied().collect(),
            partner: (kind == TenantKind::Partner).then_some(PartnerFacts {
                is_reseller: true,
                is_provider: true,
                active: true,
                agreement_accepted: true,
            }),
        }
    }

    #[test]
    fn a_case_is_seen_by_its_path_up_to_the_assignee_and_by_nobody_else() {
        let [c, r, p, o, stranger] = [(); 5].map(|_| TenantId::new());
        let path = Path([Some(c), Some(r), Some(p), Some(o)]);
        let mut f = CaseFacts {
            path,
            requester: c,
            assigned: Tier::Reseller,
        };
        let ca = actor(c, TenantKind::Customer, &[Role::GlobalAdministrator]);
        let ra = actor(r, TenantKind::Partner, &[Role::HelpdeskAgent]);
        let pa = actor(p, TenantKind::Partner, &[Role::AdminAgent]);
        let oa = actor(o, TenantKind::Operator, &[Role::OperatorAdmin]);
        let sa = actor(stranger, TenantKind::Partner, &[Role::AdminAgent]);
        let read = |a: &Actor, f: &CaseFacts| on_case(a, SupportAction::Read, f).allowed();
        assert!(read(&ca, &f) && read(&ra, &f));
        assert!(!read(&pa, &f) && !read(&oa, &f) && !read(&sa, &f));
        assert!(on_case(&ra, SupportAction::Escalate, &f).allowed());
        assert!(!on_case(&ca, SupportAction::Escalate, &f).allowed());
        assert_eq!(escalate(&f, Status::Open).unwrap(), (Tier::Provider, p));
        f.assigned = Tier::Operator;
        assert!(read(&pa, &f) && read(&oa, &f) && read(&ra, &f) && !read(&sa, &f));
        assert!(!on_case(&oa, SupportAction::Escalate, &f).allowed());
        assert!(escalate(&f, Status::Open).is_err());
        assert!(on_case(&ca, SupportAction::Update, &f).allowed());
        assert!(!on_case(&pa, SupportAction::Update, &f).allowed());
        let sales = actor(r, TenantKind::Partner, &[Role::SalesAgent]);
        assert!(!read(&sales, &f), "sales agents do not work support");
    }

    #[test]
    fn requests_about_a_customer_come_from_it_or_a_partner_serving_it() {
        let c = TenantId::new();
        let admin = actor(c, TenantKind::Customer, &[Role::GlobalAdministrator]);
        let plain = actor(c, TenantKind::Customer, &[]);
        let agent = actor(TenantId::new(), TenantKind::Partner, &[Role::HelpdeskAgent]);
        assert!(on_customer(&admin, c, false).allowed());
        assert!(!on_customer(&plain, c, false).allowed());
        assert!(!on_customer(&admin, TenantId::new(), false).allowed());
        assert!(on_customer(&agent, c, true).allowed());
        assert!(!on_customer(&agent, c, false).allowed(), "no relationship");
    }

    #[test]
    fn escalation_skips_missing_tiers() {
        let [c, p, o] = [(); 3].map(|_| TenantId::new());
        let path = Path([Some(c), None, Some(p), Some(o)]);
        assert_eq!(path.next_above(Tier::Customer), Some((Tier::Provider, p)));
    }

    #[test]
    fn statuses_move_by_role() {
        use Status::*;
        assert!(may_set_status(Open, AttentionNeeded, true, false).is_ok());
        assert!(may_set_status(Open, AttentionNeeded, false, true).is_err());
        assert!(may_set_status(AttentionNeeded, Open, false, true).is_ok());
        assert!(may_set_status(Open, Closed, false, true).is_ok());
        assert!(may_set_status(Closed, AttentionNeeded, true, false).is_err());
        assert!(may_set_status(Closed, Open, false, true).is_ok());
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn the_clock_warns_then_breaches() {
        let t = default_target(Severity::Critical);
        let mut k = Clock::start(0, &t);
        let min = 60_000;
        assert_eq!(k.running(), Some((Goal::FirstResponse, 60 * min)));
        assert_eq!(k.needs_warning(30 * min, 0), None);
        assert_eq!(k.needs_warning(50 * min, 0), Some(Goal::FirstResponse));
        assert!(k.breaches(59 * min).is_empty());
        assert_eq!(k.breaches(61 * min), vec![Goal::FirstResponse]);
        k.responded_at = Some(20 * min);
        assert!(k.breaches(61 * min).is_empty());
        assert_eq!(k.time_left(61 * min), Some(8 * 60 * min - 61 * min));
        assert_eq!(k.breaches(9 * 60 * min), vec![Goal::Resolution]);
        k.closed_at = Some(100 * min);
        assert!(k.breaches(9 * 60 * min).is_empty());
    }

    #[test]
    fn attachments_are_checked_by_type_and_content() {
        assert!(check_attachment("log.txt", "text/plain", b"hello").is_ok());
        assert!(check_attachment("a.png", "image/png", b"\x89PNG\r\n\x1a\nrest").is_ok());
        assert!(check_attachment("x.html", "text/html", b"<html>").is_err());
        assert!(check_attachment("x.txt", "text/plain", b"<html><script>").is_err());
        assert!(check_attachment("x.png", "image/png", b"not a png").is_err());
        assert!(check_attachment("../x.txt", "text/plain", b"hi").is_err());
        let big = vec![b'a'; MAX_ATTACHMENT_BYTES + 1];
        assert!(check_attachment("big.txt", "text/plain", &big).is_err());
    }
}
