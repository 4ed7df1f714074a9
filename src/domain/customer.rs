//! Customers: the roles a partner can be granted in a customer's directory (granular
//! delegated admin), access requests, list filters, and the facts authorization reads.

use super::error::{Error, FieldError, Result};
use super::ids::TenantId;
use super::partnership::InvitationState;
use super::words::stored_words;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

stored_words! {
    /// A customer relationship (`customer_relationships.state`): a partner serves the customer
    /// while it is active; ending it keeps the row (and the subscriptions billing).
    pub enum RelationshipState {
        Active => "active",
        Ended => "ended",
    }
}

impl RelationshipState {
    /// The API's word for it.
    pub fn wire(self) -> &'static str {
        match self {
            RelationshipState::Active => "Active",
            RelationshipState::Ended => "Ended",
        }
    }
}

stored_words! {
    /// A delegated-admin grant (`admin_grants.status`). Only an active grant whose end has
    /// not passed gives access ([`GrantStatus::seen_at`]).
    pub enum GrantStatus {
        Active => "active",
        Revoked => "revoked",
        Expired => "expired",
    }
}

impl GrantStatus {
    /// The state at `now`: an active grant past its end is expired even before housekeeping
    /// records it.
    pub fn seen_at(self, expires_at: i64, now: i64) -> GrantStatus {
        match self {
            GrantStatus::Active if expires_at <= now => GrantStatus::Expired,
            s => s,
        }
    }
    /// Gives access at `now`.
    pub fn live(self, expires_at: i64, now: i64) -> bool {
        self.seen_at(expires_at, now) == GrantStatus::Active
    }
}

stored_words! {
    /// A relationship request sent to a customer (`customer_invitations.state`).
    pub enum RequestState {
        Pending => "pending",
        Accepted => "accepted",
        Declined => "declined",
        Revoked => "revoked",
    }
}

impl RequestState {
    /// How the link reads at `now`: a declined request is as unusable as a withdrawn one, and
    /// a pending one past its date has expired.
    pub fn seen_at(self, expires_at: i64, now: i64) -> InvitationState {
        match self {
            RequestState::Accepted => InvitationState::Accepted,
            RequestState::Declined | RequestState::Revoked => InvitationState::Revoked,
            RequestState::Pending if expires_at <= now => InvitationState::Expired,
            RequestState::Pending => InvitationState::Pending,
        }
    }
}

/// Roles a partner may hold in a customer's directory through a delegated-admin grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantRole {
    GlobalAdministrator,
    UserAdministrator,
    HelpdeskAdministrator,
    LicenseAdministrator,
    DirectoryReaders,
}

impl GrantRole {
    pub const ALL: [GrantRole; 5] = [
        GrantRole::GlobalAdministrator,
        GrantRole::UserAdministrator,
        GrantRole::HelpdeskAdministrator,
        GrantRole::LicenseAdministrator,
        GrantRole::DirectoryReaders,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            GrantRole::GlobalAdministrator => "global_administrator",
            GrantRole::UserAdministrator => "user_administrator",
            GrantRole::HelpdeskAdministrator => "helpdesk_administrator",
            GrantRole::LicenseAdministrator => "license_administrator",
            GrantRole::DirectoryReaders => "directory_readers",
        }
    }
    pub fn parse(s: &str) -> Option<GrantRole> {
        GrantRole::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
    /// The directory role with a stable id, as `/directoryroles` shows it.
    pub fn role_id(self) -> &'static str {
        match self {
            GrantRole::GlobalAdministrator => "62e90394-69f5-4237-9190-012177145e10",
            GrantRole::UserAdministrator => "fe930be7-5e62-47db-91af-98c3a49a38b1",
            GrantRole::HelpdeskAdministrator => "729827e3-9c14-49f7-bb1b-9608f156bbb8",
            GrantRole::LicenseAdministrator => "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
            GrantRole::DirectoryReaders => "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        }
    }
}

pub fn parse_roles(list: &[String], field: &str) -> Result<BTreeSet<GrantRole>> {
    let mut out = BTreeSet::new();
    for r in list {
        out.insert(GrantRole::parse(r).ok_or_else(|| {
            Error::field(field, format!("{r} is not a role a partner can be granted"))
        })?);
    }
    Ok(out)
}

/// Grants last 1 day to 2 years.
pub const MIN_GRANT_DAYS: i64 = 1;
pub const MAX_GRANT_DAYS: i64 = 730;
/// An auto-extended grant is renewed by this much each time.
pub const AUTO_EXTEND_DAYS: i64 = 180;

/// The access a reseller asks a customer for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccessRequest {
    /// Empty: a relationship without administrative access.
    pub roles: BTreeSet<GrantRole>,
    pub duration_days: i64,
    pub auto_extend: bool,
}

impl AccessRequest {
    pub fn none() -> Self {
        AccessRequest {
            roles: BTreeSet::new(),
            duration_days: 0,
            auto_extend: false,
        }
    }
    pub fn validate(&self) -> Result<()> {
        if self.roles.is_empty() {
            return Ok(());
        }
        if !(MIN_GRANT_DAYS..=MAX_GRANT_DAYS).contains(&self.duration_days) {
            return Err(Error::field(
                "durationDays",
                format!("a delegated-admin grant lasts {MIN_GRANT_DAYS} to {MAX_GRANT_DAYS} days"),
            ));
        }
        if self.auto_extend && self.roles.contains(&GrantRole::GlobalAdministrator) {
            return Err(Error::field(
                "autoExtend",
                "a grant with Global Administrator is never extended automatically",
            ));
        }
        Ok(())
    }

    /// Least privilege at the source: only the partner's admin agents and account admins may
    /// ask a customer for Global Administrator (sales agents may not).
    pub fn check_requester(&self, requester_is_admin: bool) -> Result<()> {
        if self.roles.contains(&GrantRole::GlobalAdministrator) && !requester_is_admin {
            return Err(Error::Refused(
                super::refusal::Refusal::GlobalAdminNotRequestable,
            ));
        }
        Ok(())
    }
}

/// A set of grant roles, small enough to copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrantSet(u8);

impl GrantSet {
    pub fn of(roles: impl IntoIterator<Item = GrantRole>) -> GrantSet {
        GrantSet(roles.into_iter().fold(0u8, |acc, r| acc | (1 << r as u8)))
    }
    pub fn contains(self, r: GrantRole) -> bool {
        self.0 & (1 << r as u8) != 0
    }
    pub fn any(self, roles: &[GrantRole]) -> bool {
        roles.iter().any(|r| self.contains(*r))
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// What is known about the caller's access to one customer, loaded for each request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomerFacts {
    pub customer: TenantId,
    /// The caller's organisation has an active reseller relationship with the customer.
    pub relationship: bool,
    /// Roles of the caller's organisation's active, unexpired grants on the customer.
    pub grants: GrantSet,
}

/// `{"Field": ..., "Value": ..., "Operator": "starts_with"}` on customer lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerFilter {
    CompanyName(String),
    Domain(String),
    IndirectReseller(String),
    IndirectCloudSolutionProvider(String),
}

pub fn parse_filter(raw: &str) -> Result<CustomerFilter> {
    let bad = |m: &str| Error::Validation(vec![FieldError::new("filter", m)]);
    if raw.len() > 1024 {
        return Err(bad("the filter is too long"));
    }
    let v: serde_json::Value = serde_json::from_str(raw)
        .map_err(|_| bad(r#"the filter is JSON like {"Field":"CompanyName","Value":"con","Operator":"starts_with"}"#))?;
    let get = |k: &str| {
        v.as_object().and_then(|o| {
            o.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .and_then(|(_, val)| val.as_str())
                .map(str::to_string)
        })
    };
    let field = get("Field").ok_or_else(|| bad("the filter needs a Field"))?;
    let value = get("Value").ok_or_else(|| bad("the filter needs a Value"))?;
    // The contract's spellings differ between its pages and SDKs (`starts_with`,
    // `StartsWith`; `CompanyName`, `company_name`): compare without case or underscores.
    let squash = |s: &str| s.replace('_', "").to_ascii_lowercase();
    let op = get("Operator").unwrap_or_else(|| "starts_with".into());
    if squash(&op) != "startswith" {
        return Err(bad("only the starts_with operator is supported"));
    }
    if value.is_empty() || value.len() > 256 {
        return Err(bad("the filter Value has 1 to 256 characters"));
    }
    match squash(&field).as_str() {
        "companyname" => Ok(CustomerFilter::CompanyName(value.to_lowercase())),
        "domain" => Ok(CustomerFilter::Domain(value.to_lowercase())),
        "indirectreseller" => Ok(CustomerFilter::IndirectReseller(value.to_lowercase())),
        "indirectcloudsolutionprovider" => Ok(CustomerFilter::IndirectCloudSolutionProvider(
            value.to_lowercase(),
        )),
        _ => Err(bad(
            "Field is CompanyName, Domain, IndirectReseller or IndirectCloudSolutionProvider",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_request_link_reads_declined_as_withdrawn_and_expires_only_while_pending() {
        assert_eq!(
            RequestState::Pending.seen_at(100, 50),
            InvitationState::Pending
        );
        assert_eq!(
            RequestState::Pending.seen_at(100, 100),
            InvitationState::Expired
        );
        assert_eq!(
            RequestState::Declined.seen_at(100, 50),
            InvitationState::Revoked
        );
        assert_eq!(
            RequestState::Revoked.seen_at(100, 50),
            InvitationState::Revoked
        );
        assert_eq!(
            RequestState::Accepted.seen_at(100, 500),
            InvitationState::Accepted
        );
        assert_eq!(RequestState::parse("Declined"), None);
    }

    #[test]
    fn a_grant_gives_access_only_while_active_and_before_its_end() {
        assert!(GrantStatus::Active.live(100, 99));
        assert!(!GrantStatus::Active.live(100, 100));
        assert_eq!(GrantStatus::Active.seen_at(100, 100), GrantStatus::Expired);
        assert!(!GrantStatus::Revoked.live(100, 50));
        assert_eq!(GrantStatus::Revoked.seen_at(100, 500), GrantStatus::Revoked);
    }

    #[test]
    fn filters_parse_case_insensitively() {
        assert_eq!(
            parse_filter(r#"{"Field":"CompanyName","Value":"Con","Operator":"starts_with"}"#)
                .unwrap(),
            CustomerFilter::CompanyName("con".into())
        );
        assert_eq!(
            parse_filter(r#"{"field":"domain","value":"A.example"}"#).unwrap(),
            CustomerFilter::Domain("a.example".into())
        );
        assert!(parse_filter(r#"{"Field":"Secret","Value":"x"}"#).is_err());
        assert!(parse_filter(r#"{"Field":"Domain","Value":"x","Operator":"equals"}"#).is_err());
        assert!(parse_filter("not json").is_err());
    }

    #[test]
    fn grants_last_one_day_to_two_years() {
        let mut r = AccessRequest {
            roles: [GrantRole::UserAdministrator].into(),
            duration_days: 0,
            auto_extend: false,
        };
        assert!(r.validate().is_err());
        r.duration_days = 730;
        assert!(r.validate().is_ok());
        r.duration_days = 731;
        assert!(r.validate().is_err());
        assert!(AccessRequest::none().validate().is_ok());
    }

    #[test]
    fn global_administrator_is_asked_by_admins_only_and_never_auto_extended() {
        let mut r = AccessRequest {
            roles: [GrantRole::GlobalAdministrator].into(),
            duration_days: 30,
            auto_extend: false,
        };
        assert!(r.validate().is_ok());
        assert!(r.check_requester(true).is_ok());
        assert!(matches!(r.check_requester(false), Err(Error::Refused(_))));
        r.auto_extend = true;
        assert!(r.validate().is_err());
        r.roles = [GrantRole::UserAdministrator].into();
        assert!(r.validate().is_ok());
        assert!(r.check_requester(false).is_ok());
    }

    proptest! {
        #[test]
        fn any_filter_text_is_answered_without_panic(s in ".{0,400}") {
            let _ = parse_filter(&s);
        }
    }
}
