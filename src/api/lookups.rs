//! `HEAD /v1/domains/{domain}` and `/v1/compliance/csp/agreementstatus`: checks an integrator
//! makes before creating a customer or naming a reseller.

use super::collection::Attributes;
use super::error::ApiResult;
use super::extract::{Caller, Path, Query};
use super::json::Json;
use crate::app::lookups;
use crate::app::App;
use crate::domain::Error;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Whether a domain is in use: 200 when a tenant has it, 404 when it is free.
#[utoipa::path(head, path = "/v1/domains/{domain}", tag = "customers", params(("domain" = String, Path)),
    responses((status = 200, description = "the domain is in use"), (status = 404, description = "the domain is free"),
        (status = 400, description = "not a domain name")))]
pub async fn domain(State(app): State<App>, Path(domain): Path<String>) -> StatusCode {
    match lookups::domain_exists(&app, &domain).await {
        Ok(true) => StatusCode::OK,
        Ok(false) => StatusCode::NOT_FOUND,
        Err(Error::Validation(_)) => StatusCode::BAD_REQUEST,
        Err(e) => {
            tracing::error!(error = %e, "domain lookup failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AgreementQuery {
    /// The reseller's partner-network id (or give `tenantId`).
    pub mpn_id: Option<String>,
    /// The reseller's tenant id (or give `mpnId`).
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgreementSigned {
    pub is_agreement_signed: bool,
    pub attributes: Attributes,
}

/// Whether a reseller has accepted the current partner agreement.
#[utoipa::path(get, path = "/v1/compliance/csp/agreementstatus", tag = "partnerships", params(AgreementQuery),
    responses((status = 200, body = AgreementSigned), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn agreement_status(
    State(app): State<App>,
    Caller(ctx): Caller,
    Query(q): Query<AgreementQuery>,
) -> ApiResult<Json<AgreementSigned>> {
    let (mpn, tenant) = (q.mpn_id.as_deref(), q.tenant_id.as_deref());
    Ok(Json(AgreementSigned {
        is_agreement_signed: lookups::agreement_signed(&app, &ctx, mpn, tenant).await?,
        attributes: Attributes::of("AgreementSignatureStatus"),
    }))
}
