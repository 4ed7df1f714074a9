//! A domain added to a customer's directory beside its primary one (the contract's `Domain`
//! resource): the words that describe it as typed values, and the checks a request to add one
//! must pass before anything is stored.

use super::error::{Checks, FieldError};
use super::identity::Domain;
use super::Result;

/// Declares a closed set of contract words. Parsing ignores case, `_` and `-`, so the
/// reference's `DnsRecord` and its lower-case `dns_record` are the same value.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The contract's spelling (lower case with underscores).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
            pub fn parse(raw: &str) -> Option<$name> {
                let want = squash(raw);
                Self::ALL.iter().copied().find(|v| squash(v.as_str()) == want)
            }
        }
    };
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-' && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

words!(
    /// What the domain may be used for.
    Capability {
        None => "none",
        Email => "email",
        Sharepoint => "sharepoint",
        OfficeCommunicationsOnline => "office_communications_online",
        SharepointDefault => "sharepoint_default",
        FullRedelegation => "full_redelegation",
        SharePointPublic => "share_point_public",
        OrgIdAuthentication => "org_id_authentication",
        Yammer => "yammer",
        Intune => "intune",
        All => "all",
    }
);

words!(
    /// Who signs the domain's users in: this directory (`managed`) or another identity
    /// provider (`federated`, which Partner Hub does not offer).
    AuthenticationType {
        Managed => "managed",
        Federated => "federated",
    }
);

words!(
    /// The domain's verification state as the registrar reports it.
    DomainStatus {
        Unverified => "unverified",
        Verified => "verified",
        PendingDeletion => "pending_deletion",
    }
);

words!(
    /// How ownership of the domain was proven.
    VerificationMethod {
        None => "none",
        DnsRecord => "dns_record",
        Email => "email",
    }
);

/// A request to add a domain, as read from the body (every member optional until checked).
#[derive(Debug, Clone, Default)]
pub struct DomainRequest {
    pub verified_domain_name: Option<String>,
    pub name: Option<String>,
    pub capability: Option<String>,
    pub authentication_type: Option<String>,
    pub status: Option<String>,
    pub verification_method: Option<String>,
    /// The request carried federation settings.
    pub federation_settings: bool,
}

/// A domain ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDomain {
    pub name: Domain,
    pub capability: Capability,
    pub authentication_type: AuthenticationType,
    pub status: DomainStatus,
    pub verification_method: VerificationMethod,
}

fn word<T>(
    checks: &mut Checks,
    field: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
    all: &[&str],
) -> Option<T> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        checks.push(FieldError::new(field, "this member is required"));
        return None;
    };
    let parsed = parse(raw);
    if parsed.is_none() {
        checks.push(FieldError::new(
            field,
            format!("one of {} is expected", all.join(", ")),
        ));
    }
    parsed
}

fn names<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().copied().map(as_str).collect()
}

/// Checks a request: the name (given as `verifiedDomainName`, `domain.name` or both, the
/// same), the four words, and a managed domain (federated sign-in is not offered, so
/// federation settings have nothing to configure).
pub fn validate(r: &DomainRequest) -> Result<NewDomain> {
    let mut checks = Checks::new();
    let given = r
        .verified_domain_name
        .as_deref()
        .or(r.name.as_deref())
        .unwrap_or_default();
    let name = checks.parse(Domain::parse("verifiedDomainName", given));
    if let (Some(a), Some(b)) = (&r.verified_domain_name, &r.name) {
        checks.check(
            a.trim()
                .eq_ignore_ascii_case(b.trim().trim_end_matches('.')),
            "domain.name",
            "domain.name and verifiedDomainName name different domains",
        );
    }
    let capability = word(
        &mut checks,
        "domain.capability",
        r.capability.as_deref(),
        Capability::parse,
        &names(Capability::ALL, Capability::as_str),
    );
    let authentication_type = word(
        &mut checks,
        "domain.authenticationType",
        r.authentication_type.as_deref(),
        AuthenticationType::parse,
        &names(AuthenticationType::ALL, AuthenticationType::as_str),
    );
    checks.check(
        authentication_type != Some(AuthenticationType::Federated),
        "domain.authenticationType",
        "Partner Hub signs users in itself: only managed domains can be added",
    );
    checks.check(
        !r.federation_settings,
        "domainFederationSettings",
        "federation settings apply to federated domains, which Partner Hub does not offer",
    );
    let status = word(
        &mut checks,
        "domain.status",
        r.status.as_deref(),
        DomainStatus::parse,
        &names(DomainStatus::ALL, DomainStatus::as_str),
    );
    let verification_method = word(
        &mut checks,
        "domain.verificationMethod",
        r.verification_method.as_deref(),
        VerificationMethod::parse,
        &names(VerificationMethod::ALL, VerificationMethod::as_str),
    );
    checks.finish()?;
    Ok(NewDomain {
        name: name.expect("checked"),
        capability: capability.expect("checked"),
        authentication_type: authentication_type.expect("checked"),
        status: status.expect("checked"),
        verification_method: verification_method.expect("checked"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> DomainRequest {
        DomainRequest {
            verified_domain_name: Some("Fabrikam.example".into()),
            name: Some("fabrikam.example".into()),
            capability: Some("Email".into()),
            authentication_type: Some("Managed".into()),
            status: Some("Verified".into()),
            verification_method: Some("DnsRecord".into()),
            federation_settings: false,
        }
    }

    #[test]
    fn the_reference_spellings_and_the_contract_words_are_one_value() {
        let d = validate(&request()).unwrap();
        assert_eq!(d.name.as_str(), "fabrikam.example");
        assert_eq!(d.verification_method, VerificationMethod::DnsRecord);
        assert_eq!(
            VerificationMethod::parse("dns_record"),
            Some(VerificationMethod::DnsRecord)
        );
        assert_eq!(
            DomainStatus::parse("PendingDeletion"),
            Some(DomainStatus::PendingDeletion)
        );
        assert_eq!(
            Capability::parse("SharePointPublic").map(Capability::as_str),
            Some("share_point_public")
        );
        assert_eq!(Capability::parse("mail"), None);
    }

    #[test]
    fn a_federated_domain_or_two_names_are_refused_with_the_member_named() {
        let mut r = request();
        r.authentication_type = Some("Federated".into());
        r.federation_settings = true;
        r.name = Some("other.example".into());
        r.status = None;
        let Err(crate::domain::Error::Validation(fields)) = validate(&r) else {
            panic!("refused")
        };
        let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            named,
            [
                "domain.name",
                "domain.authenticationType",
                "domainFederationSettings",
                "domain.status"
            ]
        );
    }

    #[test]
    fn the_name_may_come_from_the_domain_alone() {
        let mut r = request();
        r.verified_domain_name = None;
        assert_eq!(validate(&r).unwrap().name.as_str(), "fabrikam.example");
        r.name = None;
        assert!(validate(&r).is_err(), "a name is required");
    }
}
