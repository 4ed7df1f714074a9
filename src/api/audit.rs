//! `/v1/auditrecords`: an organisation's activity log, partner-center shaped. A partner sees
//! its own organisation's records (including what it did in customers' tenants); a customer
//! sees what was done in its tenant, by whom.

use super::collection::{Attributes, Collection, Page, PageQuery};
use super::error::ApiResult;
use super::extract::Caller;
use super::extract::Query;
use super::json::Json;
use crate::app::audit::{self as uc, AuditQuery, AuditRow};
use crate::app::App;
use crate::domain::Error;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub const MAX_LOOKBACK_DAYS: i64 = 90;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AuditParams {
    /// `YYYY-MM-DD`; default 30 days ago; at most 90 days back.
    pub start_date: Option<String>,
    /// `YYYY-MM-DD` (inclusive); default today.
    pub end_date: Option<String>,
    /// `{"Field":"CompanyName","Value":"…","Operator":"substring"}`, `{"Field":"CustomerId",…,"Operator":"equals"}`
    /// or `{"Field":"ResourceType",…,"Operator":"equals"}`.
    pub filter: Option<String>,
    pub size: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub id: String,
    pub partner_id: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub application_id: Option<String>,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub resource_old_value: Option<String>,
    pub resource_new_value: Option<String>,
    pub operation_type: String,
    pub original_correlation_id: Option<String>,
    pub operation_date: String,
    pub operation_status: String,
    pub attributes: Attributes,
}

fn day(field: &str, s: &str) -> Result<i64, Error> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp_millis()
        })
        .map_err(|_| Error::field(field, "write the date as YYYY-MM-DD"))
}

fn filter_of(raw: &str) -> Result<AuditQuery, Error> {
    let bad = |m: &str| Error::field("filter", m);
    let v: serde_json::Value = serde_json::from_str(raw)
        .map_err(|_| bad("the filter is JSON with Field, Value and Operator"))?;
    let get = |k: &str| {
        v.as_object().and_then(|o| {
            o.iter()
                .find(|(x, _)| x.eq_ignore_ascii_case(k))
                .and_then(|(_, y)| y.as_str())
                .map(str::to_string)
        })
    };
    let field = get("Field").ok_or_else(|| bad("the filter needs a Field"))?;
    let value = get("Value")
        .filter(|x| !x.is_empty() && x.len() <= 256)
        .ok_or_else(|| bad("the filter needs a Value of 1 to 256 characters"))?;
    let mut q = AuditQuery::default();
    match field.to_ascii_lowercase().as_str() {
        "companyname" => q.company_name = Some(value.to_lowercase().replace(['%', '_'], "")),
        "customerid" => q.customer_id = Some(value),
        "resourcetype" => q.resource_type = Some(value.to_ascii_lowercase()),
        _ => return Err(bad("Field is CompanyName, CustomerId or ResourceType")),
    }
    Ok(q)
}

/// The caller's organisation's audit records, newest first.
#[utoipa::path(get, path = "/v1/auditrecords", tag = "audit", params(AuditParams),
    responses((status = 200, body = Collection<AuditRecord>), (status = 400, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn records(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(p): Query<AuditParams>,
) -> ApiResult<Json<Collection<AuditRecord>>> {
    let now = app.clock.now_ms();
    let today = now - now.rem_euclid(crate::clock::DAY_MS);
    let start = match &p.start_date {
        Some(s) => day("startDate", s)?,
        None => today - 30 * crate::clock::DAY_MS,
    };
    let end = match &p.end_date {
        Some(s) => day("endDate", s)? + crate::clock::DAY_MS,
        None => now + 1,
    };
    if start < today - MAX_LOOKBACK_DAYS * crate::clock::DAY_MS {
        return Err(Error::field(
            "startDate",
            format!("records go back {MAX_LOOKBACK_DAYS} days at most"),
        )
        .into());
    }
    if end <= start {
        return Err(Error::field("endDate", "the end date is before the start date").into());
    }
    let mut q = match p.filter.as_deref().filter(|f| !f.is_empty()) {
        Some(f) => filter_of(f)?,
        None => AuditQuery::default(),
    };
    q.start = start;
    q.end = end;
    // The list's own parameters, as given: they name the same list on every page (the
    // default end moves with the clock; the keyset keeps the walk consistent).
    let given: Vec<(&str, &str)> = [
        ("startDate", &p.start_date),
        ("endDate", &p.end_date),
        ("filter", &p.filter),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    .collect();
    let given = serde_urlencoded::to_string(&given).unwrap_or_default();
    let fingerprint = format!("audit:{}:{given}", ctx.actor.tenant);
    let path = if given.is_empty() {
        "/v1/auditrecords".to_string()
    } else {
        format!("/v1/auditrecords?{given}")
    };
    let page = Page::from_request(
        &headers,
        &PageQuery {
            size: p.size,
            seek_operation: None,
        },
        &fingerprint,
        &app.keys.paging_secret,
    )?;
    let before = page.before_time();
    let (rows, total) = uc::records(&app, &ctx, &q, before, page.size + 1).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |r| (r.entry.created_at.to_string(), r.id.clone()),
        dto,
    )))
}

/// One audit record of the caller's organisation (the link a webhook's `AuditUri` names).
#[utoipa::path(get, path = "/v1/auditrecords/{auditRecordId}", tag = "audit", params(("auditRecordId" = String, Path)),
    responses((status = 200, body = AuditRecord), (status = 403, body = super::error::ApiErrorBody), (status = 404, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn record(
    State(app): State<App>,
    Caller(ctx): Caller,
    super::extract::Path(id): super::extract::Path<String>,
) -> ApiResult<Json<AuditRecord>> {
    Ok(Json(dto(crate::app::audit::one(&app, &ctx, &id).await?)))
}

fn dto(r: AuditRow) -> AuditRecord {
    let e = r.entry;
    AuditRecord {
        id: r.id,
        partner_id: e.org_tenant_id,
        customer_id: e.customer_id,
        customer_name: r.customer_name,
        user_principal_name: e.actor_upn,
        application_id: e.actor_app_id,
        resource_type: e.resource_type,
        resource_id: e.resource_id,
        resource_old_value: e.old_value,
        resource_new_value: e.new_value,
        operation_type: e.operation,
        original_correlation_id: e.correlation_id,
        operation_date: crate::clock::from_ms(e.created_at).to_rfc3339(),
        operation_status: e.outcome,
        attributes: Attributes::of("AuditRecord"),
    }
}
