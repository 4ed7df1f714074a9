//! `POST /v1/customers/{customerId}/verifieddomain`: a domain added to a customer's directory,
//! in the contract's `VerifiedDomain` request and `Domain` answer. One app use case.

use super::collection::Attributes;
use super::error::{ApiErrorBody, ApiResult};
use super::extract::{Body, Caller, Path};
use super::json::Json;
use crate::app::customer_domains::{self, DomainRow};
use crate::app::App;
use crate::domain::customer_domain::DomainRequest;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The domain part of the request (the contract's `Domain`; `isDefault`, `isInitial` and
/// `rootDomain` are answers and not read).
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct DomainInput {
    pub name: Option<String>,
    /// `none`, `email`, `sharepoint`, `office_communications_online`, `sharepoint_default`,
    /// `full_redelegation`, `share_point_public`, `org_id_authentication`, `yammer`, `intune`
    /// or `all` (any case; `_` may be left out, as in `SharePointPublic`).
    pub capability: Option<String>,
    /// `managed` (Partner Hub signs the users in; `federated` is refused).
    pub authentication_type: Option<String>,
    /// `unverified`, `verified` or `pending_deletion`. Only a verified domain takes sign-in names.
    pub status: Option<String>,
    /// `none`, `dns_record` or `email`.
    pub verification_method: Option<String>,
}

/// The request: the domain's name and the domain itself.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
#[schema(as = VerifiedDomainRequest)]
pub struct VerifiedDomainInput {
    pub verified_domain_name: Option<String>,
    pub domain: Option<DomainInput>,
    /// Settings of a federated domain; refused, since only managed domains are added.
    #[schema(value_type = Option<Object>)]
    pub domain_federation_settings: Option<serde_json::Value>,
}

/// A domain of a customer's directory (the contract's `Domain`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CustomerDomain)]
pub struct DomainDto {
    pub name: String,
    pub capability: String,
    pub authentication_type: String,
    pub status: String,
    pub verification_method: String,
    /// Always false: the directory's primary domain stays its default.
    pub is_default: bool,
    /// Always false: the initial domain is the one the directory was created with.
    pub is_initial: bool,
    /// The directory's primary domain when this one is a subdomain of it.
    pub root_domain: Option<String>,
    pub attributes: Attributes,
}

fn request_of(b: VerifiedDomainInput) -> DomainRequest {
    let d = b.domain.unwrap_or_default();
    DomainRequest {
        verified_domain_name: b.verified_domain_name,
        name: d.name,
        capability: d.capability,
        authentication_type: d.authentication_type,
        status: d.status,
        verification_method: d.verification_method,
        federation_settings: b.domain_federation_settings.is_some_and(|s| !s.is_null()),
    }
}

fn dto(row: DomainRow, primary: &str) -> DomainDto {
    let d = row.domain;
    let name = d.name.as_str().to_string();
    let root = name
        .strip_suffix(primary)
        .is_some_and(|head| head.ends_with('.'))
        .then(|| primary.to_string());
    DomainDto {
        name,
        capability: d.capability.as_str().into(),
        authentication_type: d.authentication_type.as_str().into(),
        status: d.status.as_str().into(),
        verification_method: d.verification_method.as_str().into(),
        is_default: false,
        is_initial: false,
        root_domain: root,
        attributes: Attributes::of("Domain"),
    }
}

/// Adds a verified domain to a customer's directory. For an admin agent of a partner holding
/// a global or user administrator grant on the customer, or the customer's global
/// administrator. A name any directory has already is 409.
#[utoipa::path(post, path = "/v1/customers/{customerId}/verifieddomain", tag = "customers",
    params(("customerId" = String, Path)), request_body = VerifiedDomainInput,
    responses((status = 200, body = DomainDto), (status = 400, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn add_verified_domain(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<VerifiedDomainInput>,
) -> ApiResult<Json<DomainDto>> {
    let (row, primary) = customer_domains::add(&app, &ctx, &id, &request_of(b)).await?;
    Ok(Json(dto(row, &primary)))
}
