//! The one error type of the domain and application layers. Adapters map it once:
//! the API to `{code, description, data, source}` with an HTTP status, the portal to a page.

use serde::Serialize;

/// A problem with one input field, shown next to that field in the portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Stable numeric error codes, partner-center style. Never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    AccessDenied = 400,
    NotFound = 1000,
    AuthorizationFailed = 1002,
    InvalidInput = 3000,
    Conflict = 3001,
    RequestIdReused = 3002,
    RequestInProgress = 3003,
    LinkNotUsable = 3004,
    AlreadyPartnered = 3005,
    /// Removing, disabling or demoting the last active global administrator of a tenant.
    LastGlobalAdministrator = 3006,
    /// Disabling or removing oneself.
    CannotActOnSelf = 3007,
    RegionMismatch = 2201,
    NotEnoughSeats = 800067,
    QuantityCannotDecrease = 800090,
    CancellationWindowClosed = 800069,
    CartAlreadySubmitted = 800065,
    InvalidSubscriptionChange = 2001,
    QuantityOutOfRange = 2002,
    InvalidPartnerOfRecord = 800016,
    NoRelationship = 20002,
    NotOffered = 2030,
    PreconditionFailed = 2055,
    RateLimited = 4290,
    Unauthenticated = 4010,
    Throttled = 4011,
    Internal = 5000,
    // Refusals (403) that say which precondition failed (`domain::refusal`).
    NotYourOrganisation = 1101,
    WrongTenantKind = 1102,
    PartnerNotActive = 1103,
    ProgramMissing = 1104,
    AgreementNotAccepted = 1105,
    PartnershipNotActive = 1106,
    NoCustomerRelationship = 1107,
    NoDelegatedGrant = 1108,
    PeopleOnly = 1109,
    MissingRole = 1110,
    /// An access request a requester may not make (a role it cannot ask for).
    AccessNotRequestable = 1111,
    /// The target user holds a role above the caller's reach (`authz::may_act_on`).
    TargetOutranksCaller = 1112,
    /// A role the caller may not hand out (`authz::may_grant`).
    RoleNotGrantable = 1113,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", describe_fields(.0))]
    Validation(Vec<FieldError>),
    #[error("{0} was not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{message}")]
    Conflict { code: Code, message: String },
    #[error("the resource changed since it was read: fetch it again and retry with its new ETag")]
    PreconditionFailed,
    #[error("too many requests: retry after {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("too many failed sign-ins: retry after {retry_after_secs} seconds")]
    Throttled { retry_after_secs: u64 },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
    /// A 403 that names the precondition which failed.
    #[error("{}", .0.describe())]
    Refused(super::refusal::Refusal),
}

fn describe_fields(fields: &[FieldError]) -> String {
    match fields {
        [one] => format!("{}: {}", one.field, one.message),
        many => format!("{} fields are invalid", many.len()),
    }
}

impl Error {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict {
            code: Code::Conflict,
            message: message.into(),
        }
    }

    pub fn code(&self) -> Code {
        match self {
            Error::Validation(_) => Code::InvalidInput,
            Error::NotFound(_) => Code::NotFound,
            Error::Forbidden(_) => Code::AuthorizationFailed,
            Error::Unauthenticated(_) => Code::Unauthenticated,
            Error::Conflict { code, .. } => *code,
            Error::PreconditionFailed => Code::PreconditionFailed,
            Error::RateLimited { .. } => Code::RateLimited,
            Error::Throttled { .. } => Code::Throttled,
            Error::Internal(_) => Code::Internal,
            Error::Refused(r) => r.code(),
        }
    }
}

#[cfg(feature = "server")]
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(e.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects field errors so a form reports every problem at once.
#[derive(Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn check(&mut self, ok: bool, field: &str, message: &str) -> &mut Self {
        if !ok {
            self.0.push(FieldError::new(field, message));
        }
        self
    }
    pub fn push(&mut self, err: FieldError) {
        self.0.push(err);
    }
    /// Runs a parser and keeps its error, returning the value when it parsed.
    pub fn parse<T>(&mut self, r: std::result::Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Validation(self.0))
        }
    }
}
