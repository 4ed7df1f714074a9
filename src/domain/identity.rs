//! Identity values that are valid once built: domains, user principal names, countries,
//! passwords, and the roles a user can hold.

use super::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A tenant's primary domain, lower-case, e.g. `contoso.example`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Domain(String);

impl Domain {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let d = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        let bad = |m: &str| Err(FieldError::new(field, m));
        if d.is_empty() {
            return bad("a domain is required");
        }
        if d.len() > 253 {
            return bad("a domain has at most 253 characters");
        }
        let labels: Vec<&str> = d.split('.').collect();
        if labels.len() < 2 {
            return bad("a domain needs at least two labels, like contoso.example");
        }
        for l in &labels {
            let ok = !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return bad("each part of a domain uses letters, digits and inner hyphens only");
            }
        }
        Ok(Self(d))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address in its simple, common form. Stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let e = raw.trim().to_ascii_lowercase();
        let Some((local, domain)) = e.split_once('@') else {
            return Err(FieldError::new(
                field,
                "enter an e-mail address like name@contoso.example",
            ));
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._%+-'".contains(&b));
        if !local_ok {
            return Err(FieldError::new(
                field,
                "the part before @ has characters that are not allowed",
            ));
        }
        Domain::parse(field, domain)?;
        Ok(Self(e))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user principal name: an e-mail-shaped sign-in name whose domain is the tenant's.
pub type Upn = Email;

/// ISO 3166-1 alpha-2 country code, upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

impl Country {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let c = raw.trim().to_ascii_uppercase();
        let b = c.as_bytes();
        if b.len() != 2 || !b.iter().all(|x| x.is_ascii_uppercase()) {
            return Err(FieldError::new(
                field,
                "use a two-letter country code such as US or KR",
            ));
        }
        Ok(Self([b[0], b[1]]))
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Country {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A password that meets the policy. Never displayed, never logged.
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 12;
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.chars().count() < Self::MIN_LEN {
            return Err(FieldError::new(
                field,
                "a password needs at least 12 characters",
            ));
        }
        if raw.len() > 256 {
            return Err(FieldError::new(
                field,
                "a password has at most 256 characters",
            ));
        }
        let classes = [
            raw.chars().any(|c| c.is_lowercase()),
            raw.chars().any(|c| c.is_uppercase()),
            raw.chars().any(|c| c.is_ascii_digit()),
            raw.chars().any(|c| !c.is_alphanumeric()),
        ];
        if classes.iter().filter(|x| **x).count() < 3 {
            return Err(FieldError::new(
                field,
                "use three of: lower-case, upper-case, digits, symbols",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// What an organisation is to the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TenantKind {
    /// The vendor running the program.
    Operator,
    /// A partner (or an applicant to a partner program).
    Partner,
    /// A customer of partners.
    Customer,
}

impl TenantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantKind::Operator => "operator",
            TenantKind::Partner => "partner",
            TenantKind::Customer => "customer",
        }
    }
    pub fn from_db(s: &str) -> Self {
        match s {
            "operator" => TenantKind::Operator,
            "customer" => TenantKind::Customer,
            _ => TenantKind::Partner,
        }
    }
}

/// Whether a user may sign in. A removed user is `Inactive` with a deletion time (purged after
/// the retention period), so two states cover the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserState {
    Active,
    Inactive,
}

impl UserState {
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::Active => "active",
            UserState::Inactive => "inactive",
        }
    }
    pub fn parse(s: &str) -> Option<UserState> {
        match s {
            "active" => Some(UserState::Active),
            "inactive" => Some(UserState::Inactive),
            _ => None,
        }
    }
    pub fn is_active(self) -> bool {
        self == UserState::Active
    }
}

impl fmt::Display for UserState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Roles a user can hold: directory roles (in its own tenant), partner roles (in a partner
/// account) and the operator role. One enum so authorization reads one set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    GlobalAdministrator,
    UserAdministrator,
    HelpdeskAdministrator,
    AccountAdmin,
    AdminAgent,
    SalesAgent,
    HelpdeskAgent,
    BillingAdmin,
    ReferralsAdmin,
    OperatorAdmin,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::GlobalAdministrator,
        Role::UserAdministrator,
        Role::HelpdeskAdministrator,
        Role::AccountAdmin,
        Role::AdminAgent,
        Role::SalesAgent,
        Role::HelpdeskAgent,
        Role::BillingAdmin,
        Role::ReferralsAdmin,
        Role::OperatorAdmin,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "global_administrator",
            Role::UserAdministrator => "user_administrator",
            Role::HelpdeskAdministrator => "helpdesk_administrator",
            Role::AccountAdmin => "account_admin",
            Role::AdminAgent => "admin_agent",
            Role::SalesAgent => "sales_agent",
            Role::HelpdeskAgent => "helpdesk_agent",
            Role::BillingAdmin => "billing_admin",
            Role::ReferralsAdmin => "referrals_admin",
            Role::OperatorAdmin => "operator_admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn is_directory_role(self) -> bool {
        matches!(
            self,
            Role::GlobalAdministrator | Role::UserAdministrator | Role::HelpdeskAdministrator
        )
    }
}

/// Webmail providers refused for a partner's primary contact.
pub const WEBMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "ymail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "gmx.com",
    "mail.com",
    "proton.me",
    "protonmail.com",
    "naver.com",
    "daum.net",
    "hanmail.net",
    "qq.com",
    "163.com",
    "yandex.ru",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(
            Domain::parse("d", " Contoso.Example. ").unwrap().as_str(),
            "contoso.example"
        );
        assert!(Domain::parse("d", "localhost").is_err());
        assert!(Domain::parse("d", "-bad.example").is_err());
        assert!(Domain::parse("d", "a..b").is_err());
        assert!(Domain::parse("d", "under_score.example").is_err());
    }

    #[test]
    fn emails_need_a_valid_domain() {
        let e = Email::parse("e", "Ann.Lee@Contoso.Example").unwrap();
        assert_eq!(e.as_str(), "ann.lee@contoso.example");
        assert_eq!(e.domain(), "contoso.example");
        assert!(Email::parse("e", "no-at-sign").is_err());
        assert!(Email::parse("e", "a b@contoso.example").is_err());
    }

    #[test]
    fn passwords_follow_the_policy() {
        assert!(Password::parse("p", "short1A!").is_err());
        assert!(Password::parse("p", "alllowercaseletters").is_err());
        assert!(Password::parse("p", "Correct-Horse-9").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("p", "Correct-Horse-9").unwrap()),
            "Password(***)"
        );
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}

/// Roles that carry administrative power over other organisations or the platform: their
/// holders use two-step verification unless their organisation exempts them.
pub const MFA_ROLES: &[Role] = &[Role::AdminAgent, Role::AccountAdmin, Role::OperatorAdmin];

/// The two-step verification rule: everyone when the organisation requires it, admins by
/// default.
pub fn mfa_required(
    org_requires_everyone: bool,
    admins_exempt: bool,
    roles: &std::collections::BTreeSet<Role>,
) -> bool {
    org_requires_everyone || (!admins_exempt && MFA_ROLES.iter().any(|r| roles.contains(r)))
}

#[cfg(test)]
mod mfa_tests {
    use super::*;

    #[test]
    fn admins_need_two_step_verification_unless_exempted() {
        let agent: std::collections::BTreeSet<Role> = [Role::AdminAgent].into_iter().collect();
        let sales: std::collections::BTreeSet<Role> = [Role::SalesAgent].into_iter().collect();
        assert!(mfa_required(false, false, &agent));
        assert!(!mfa_required(false, true, &agent));
        assert!(!mfa_required(false, false, &sales));
        assert!(mfa_required(true, true, &sales));
    }
}
