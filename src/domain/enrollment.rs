//! Partner enrollment: the programs, the application's state machine, and the validation of
//! the legal business profile, primary contact and support details.

use super::error::{Checks, Error, FieldError, Result};
use super::identity::{Country, Email, WEBMAIL_DOMAINS};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Program {
    IndirectReseller,
    IndirectProvider,
}

impl Program {
    pub fn as_str(self) -> &'static str {
        match self {
            Program::IndirectReseller => "indirect_reseller",
            Program::IndirectProvider => "indirect_provider",
        }
    }
    pub fn parse(s: &str) -> Option<Program> {
        match s {
            "indirect_reseller" => Some(Program::IndirectReseller),
            "indirect_provider" => Some(Program::IndirectProvider),
            _ => None,
        }
    }
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being filled in by the applicant.
    Draft,
    /// Submitted; the primary contact must confirm the e-mail address.
    AwaitingEmailVerification,
    /// Waiting for the operator.
    UnderReview,
    /// The operator asked the applicant for changes.
    MoreInfoNeeded,
    Authorized,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::AwaitingEmailVerification => "awaiting_email_verification",
            Status::UnderReview => "under_review",
            Status::MoreInfoNeeded => "more_info_needed",
            Status::Authorized => "authorized",
            Status::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Draft,
            Status::AwaitingEmailVerification,
            Status::UnderReview,
            Status::MoreInfoNeeded,
            Status::Authorized,
            Status::Rejected,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
    /// The applicant may still change the application.
    pub fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::MoreInfoNeeded)
    }
    /// Partner-center vetting status and sub-status for this state.
    pub fn vetting(self) -> (Vetting, VettingStep) {
        use Vetting as V;
        use VettingStep as S;
        match self {
            Status::Draft => (V::None, S::None),
            Status::AwaitingEmailVerification => (V::Pending, S::EmailOwnership),
            Status::UnderReview => (V::Pending, S::BusinessVerification),
            Status::MoreInfoNeeded => (V::Pending, S::EmploymentVerification),
            Status::Authorized => (V::Authorized, S::Decision),
            Status::Rejected => (V::Rejected, S::Decision),
        }
    }
}

/// The partner-center vetting status an application state shows as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vetting {
    None,
    Pending,
    Authorized,
    Rejected,
}

impl Vetting {
    pub fn as_str(self) -> &'static str {
        match self {
            Vetting::None => "none",
            Vetting::Pending => "pending",
            Vetting::Authorized => "authorized",
            Vetting::Rejected => "rejected",
        }
    }
}

/// Which vetting step an application is at (the partner-center sub-status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VettingStep {
    None,
    EmailOwnership,
    EmploymentVerification,
    BusinessVerification,
    Decision,
}

impl VettingStep {
    pub fn as_str(self) -> &'static str {
        match self {
            VettingStep::None => "none",
            VettingStep::EmailOwnership => "email_ownership",
            VettingStep::EmploymentVerification => "employment_verification",
            VettingStep::BusinessVerification => "business_verification",
            VettingStep::Decision => "decision",
        }
    }
}

impl std::fmt::Display for Vetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for VettingStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// "Enroll now". `verified_contact` skips e-mail verification (the contact was verified
    /// already, e.g. a partner adding the reseller program).
    Submit {
        verified_contact: bool,
    },
    VerifyEmail,
    Approve,
    Reject,
    RequestInfo,
}

/// The one transition function: the next state, or a clear refusal.
pub fn transition(from: Status, event: Event) -> Result<Status> {
    use Event::*;
    use Status::*;
    let next = match (from, event) {
        (
            Draft,
            Submit {
                verified_contact: false,
            },
        ) => AwaitingEmailVerification,
        (
            Draft,
            Submit {
                verified_contact: true,
            },
        ) => UnderReview,
        (
            MoreInfoNeeded,
            Submit {
                verified_contact: false,
            },
        ) => AwaitingEmailVerification,
        (
            MoreInfoNeeded,
            Submit {
                verified_contact: true,
            },
        ) => UnderReview,
        (AwaitingEmailVerification, VerifyEmail) => UnderReview,
        (UnderReview, Approve) => Authorized,
        (UnderReview, Reject) => Rejected,
        (UnderReview, RequestInfo) => MoreInfoNeeded,
        (from, event) => {
            return Err(Error::Conflict {
                code: super::error::Code::Conflict,
                message: format!(
                    "an application that is {} cannot be {}",
                    from.as_str().replace('_', " "),
                    match event {
                        Submit { .. } => "submitted",
                        VerifyEmail => "verified",
                        Approve => "approved",
                        Reject => "rejected",
                        RequestInfo => "sent back for more information",
                    }
                ),
            })
        }
    };
    Ok(next)
}

/// Countries whose businesses must give a registration number.
pub const REGISTRATION_REQUIRED: &[&str] = &[
    "AM", "AZ", "BY", "HU", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA", "IN", "BR", "ZA", "PL", "AE",
    "SA", "TR", "TH", "VN", "MM", "IQ", "SS", "VE", "KR",
];

/// The legal business profile, primary contact and support details as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "server", schema(as = EnrollmentApplication))]
pub struct Application {
    #[serde(default)]
    pub legal_name: String,
    #[serde(default)]
    pub address_line1: String,
    #[serde(default)]
    pub address_line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub registration_number: String,
    #[serde(default)]
    pub contact_first_name: String,
    #[serde(default)]
    pub contact_last_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub support_email: String,
    #[serde(default)]
    pub support_phone: String,
    #[serde(default)]
    pub support_website: String,
}

fn phone_ok(p: &str) -> bool {
    let digits = p.chars().filter(|c| c.is_ascii_digit()).count();
    (7..=15).contains(&digits)
        && p.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
}

fn website_ok(w: &str) -> bool {
    let rest = w
        .strip_prefix("https://")
        .or_else(|| w.strip_prefix("http://"));
    match rest {
        Some(r) => {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            super::identity::Domain::parse("w", host).is_ok()
        }
        None => false,
    }
}

fn required(checks: &mut Checks, value: &str, field: &str, max: usize) {
    let v = value.trim();
    checks.check(!v.is_empty(), field, "this field is required");
    checks.check(
        v.chars().count() <= max,
        field,
        &format!("at most {max} characters"),
    );
}

/// Checks the support details alone (all a partner adding a program gives).
pub fn validate_support(a: &Application, checks: &mut Checks) {
    if let Err(e) = Email::parse("supportEmail", &a.support_email) {
        checks.push(e);
    }
    checks.check(
        phone_ok(&a.support_phone),
        "supportPhone",
        "enter a phone number with 7 to 15 digits",
    );
    checks.check(
        a.support_website.trim().is_empty() || website_ok(a.support_website.trim()),
        "supportWebsite",
        "enter a web address starting with https://",
    );
}

/// Checks the whole application against the tenant's country; every problem is reported.
pub fn validate(a: &Application, tenant_country: &str) -> Result<()> {
    let mut checks = Checks::new();
    required(&mut checks, &a.legal_name, "legalName", 200);
    required(&mut checks, &a.address_line1, "addressLine1", 200);
    checks.check(
        a.address_line2.chars().count() <= 200,
        "addressLine2",
        "at most 200 characters",
    );
    required(&mut checks, &a.city, "city", 100);
    checks.check(
        a.region.chars().count() <= 100,
        "region",
        "at most 100 characters",
    );
    required(&mut checks, &a.postal_code, "postalCode", 20);
    match Country::parse("country", &a.country) {
        Ok(c) => {
            checks.check(
                c.as_str() == tenant_country,
                "country",
                &format!("the legal address must be in the tenant's country ({tenant_country})"),
            );
            if REGISTRATION_REQUIRED.contains(&c.as_str()) {
                checks.check(
                    !a.registration_number.trim().is_empty(),
                    "registrationNumber",
                    &format!("a registration number is required for businesses in {c}"),
                );
            }
        }
        Err(e) => checks.push(e),
    }
    checks.check(
        a.registration_number.chars().count() <= 50,
        "registrationNumber",
        "at most 50 characters",
    );
    required(&mut checks, &a.contact_first_name, "contactFirstName", 50);
    required(&mut checks, &a.contact_last_name, "contactLastName", 50);
    match Email::parse("contactEmail", &a.contact_email) {
        Ok(e) if WEBMAIL_DOMAINS.contains(&e.domain()) => checks.push(FieldError::new(
            "contactEmail",
            "use an address at your company's domain, not a webmail address",
        )),
        Ok(_) => {}
        Err(e) => checks.push(e),
    }
    checks.check(
        phone_ok(&a.contact_phone),
        "contactPhone",
        "enter a phone number with 7 to 15 digits",
    );
    validate_support(a, &mut checks);
    checks.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Application {
        Application {
            legal_name: "Contoso Ltd".into(),
            address_line1: "1 Main St".into(),
            city: "Seattle".into(),
            region: "WA".into(),
            postal_code: "98052".into(),
            country: "US".into(),
            contact_first_name: "Ann".into(),
            contact_last_name: "Lee".into(),
            contact_email: "ann@contoso.example".into(),
            contact_phone: "+1 425 555 0100".into(),
            support_email: "help@contoso.example".into(),
            support_phone: "+1 425 555 0101".into(),
            support_website: "https://contoso.example/support".into(),
            ..Default::default()
        }
    }

    fn fields(r: Result<()>) -> Vec<String> {
        match r {
            Err(Error::Validation(f)) => f.into_iter().map(|f| f.field).collect(),
            Ok(()) => vec![],
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_complete_application_passes() {
        assert!(validate(&good(), "US").is_ok());
    }

    #[test]
    fn webmail_contacts_are_refused() {
        let mut a = good();
        a.contact_email = "ann@Gmail.com".into();
        assert_eq!(fields(validate(&a, "US")), ["contactEmail"]);
    }

    #[test]
    fn some_countries_require_a_registration_number() {
        let mut a = good();
        a.country = "KR".into();
        assert_eq!(fields(validate(&a, "KR")), ["registrationNumber"]);
        a.registration_number = "123-45-67890".into();
        assert!(validate(&a, "KR").is_ok());
    }

    #[test]
    fn the_legal_country_must_be_the_tenants() {
        assert_eq!(fields(validate(&good(), "KR")), ["country"]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let f = fields(validate(&Application::default(), "US"));
        for expected in [
            "legalName",
            "addressLine1",
            "city",
            "postalCode",
            "country",
            "contactEmail",
            "contactPhone",
            "supportEmail",
        ] {
            assert!(f.contains(&expected.to_string()), "{expected} in {f:?}");
        }
    }

    #[test]
    fn transitions_follow_the_workflow() {
        use Event::*;
        use Status::*;
        assert_eq!(
            transition(
                Draft,
                Submit {
                    verified_contact: false
                }
            )
            .unwrap(),
            AwaitingEmailVerification
        );
        assert_eq!(
            transition(AwaitingEmailVerification, VerifyEmail).unwrap(),
            UnderReview
        );
        assert_eq!(
            transition(UnderReview, RequestInfo).unwrap(),
            MoreInfoNeeded
        );
        assert_eq!(
            transition(
                MoreInfoNeeded,
                Submit {
                    verified_contact: false
                }
            )
            .unwrap(),
            AwaitingEmailVerification
        );
        assert_eq!(transition(UnderReview, Approve).unwrap(), Authorized);
        assert!(transition(Draft, Approve).is_err());
        assert!(transition(Authorized, Reject).is_err());
        assert!(transition(
            Rejected,
            Submit {
                verified_contact: true
            }
        )
        .is_err());
        assert!(transition(AwaitingEmailVerification, Approve).is_err());
    }

    #[test]
    fn vetting_reflects_the_state() {
        let (v, step) = Status::AwaitingEmailVerification.vetting();
        assert_eq!((v.as_str(), step.as_str()), ("pending", "email_ownership"));
        let (v, step) = Status::Authorized.vetting();
        assert_eq!((v.as_str(), step.as_str()), ("authorized", "decision"));
        assert_eq!(
            Status::UnderReview.vetting().1,
            VettingStep::BusinessVerification
        );
    }
}
