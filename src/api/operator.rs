//! Operator functions: the partner-network registry import and the captured mail.

use super::collection::{Attributes, Collection, Page, PageQuery};
use super::error::ApiResult;
use super::extract::Caller;
use super::extract::Query;
use super::json::Json;
use crate::app::{memberships, App};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    pub imported: usize,
    pub attributes: Attributes,
}

/// Imports partner-network membership records from CSV (`text/csv`): columns
/// `mpn_id,org_name,country,username,password,profile_id,profile_name,profile_country`.
#[utoipa::path(post, path = "/v1/memberships/import", tag = "operator",
    request_body(content = String, content_type = "text/csv"),
    params(("MS-RequestId" = Option<String>, Header, description = "Idempotency key")),
    responses((status = 201, body = ImportResult), (status = 400, body = super::error::ApiErrorBody),
        (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn import_memberships(
    State(app): State<App>,
    Caller(ctx): Caller,
    body: Bytes,
) -> ApiResult<Response> {
    let n = memberships::import(&app, Some(&ctx), &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(ImportResult {
            imported: n,
            attributes: Attributes::of("MembershipImport"),
        }),
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailMessage {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: String,
    pub attributes: Attributes,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MailQuery {
    /// Only mail to this address.
    pub to: Option<String>,
    pub size: Option<u32>,
}

/// Mail kept by the built-in capture, newest first (operator only).
#[utoipa::path(get, path = "/v1/mail", tag = "operator", params(MailQuery),
    responses((status = 200, body = Collection<MailMessage>), (status = 403, body = super::error::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn captured_mail(
    State(app): State<App>,
    Caller(ctx): Caller,
    Query(q): Query<MailQuery>,
) -> ApiResult<Json<Collection<MailMessage>>> {
    let size = crate::domain::paging::page_size(q.size);
    let rows = crate::app::operator::captured_mail(&app, &ctx, q.to.as_deref(), size).await?;
    let page = Page::from_request(
        &HeaderMap::new(),
        &PageQuery {
            size: Some(size),
            seek_operation: None,
        },
        "mail",
        &app.keys.paging_secret,
    )?;
    let total = rows.len() as i64;
    Ok(Json(page.finish(
        rows,
        total,
        "/v1/mail",
        &app.keys.paging_secret,
        |m| (String::new(), m.id.clone()),
        |m| MailMessage {
            id: m.id,
            to: m.to,
            subject: m.subject,
            text_body: m.text_body,
            html_body: m.html_body,
            created_at: crate::clock::from_ms(m.created_at).to_rfc3339(),
            attributes: Attributes::of("MailMessage"),
        },
    )))
}
