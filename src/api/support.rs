//! `/v1/servicerequests`: support requests through the tiers, shaped like the public
//! service-request API (title, description, severity, supportTopicId, status, notes with
//! createdDate/createdByName, primaryContact, productName, organization, dates), plus the
//! channel's own parts: the tier holding a case, escalation, the service-level clock, files,
//! each organisation's targets and breach rates.

use super::collection::{etag, expected_version, Attributes, Collection, Page, PageQuery};
use super::error::{ApiErrorBody, ApiResult};
use super::extract::{Body, Caller, Path, Query};
use super::json::Json;
use crate::app::support::{self, CaseDetail, CaseFilter, CaseView, NewCase, Update};
use crate::app::App;
use crate::domain::ids::TenantId;
use crate::domain::support::{DraftInput, Severity, Status, Target, MAX_ATTACHMENT_BYTES};
use crate::domain::Error;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn when(ms: i64) -> String {
    crate::clock::from_ms(ms).to_rfc3339()
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrimaryContact {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequestNote {
    pub id: String,
    pub text: String,
    /// `note`, or a line the system wrote for a status change.
    pub kind: String,
    pub reply_to: Option<String>,
    pub created_by_name: String,
    pub organization_name: String,
    /// `customer`, `reseller`, `provider`, `operator` or `requester`.
    pub tier: String,
    pub created_date: String,
}

fn note_dto(n: support::Note) -> ServiceRequestNote {
    ServiceRequestNote {
        id: n.id.to_string(),
        text: n.text,
        kind: n.kind,
        reply_to: n.reply_to.map(|r| r.to_string()),
        created_by_name: n.author_name,
        organization_name: n.organization,
        tier: n.tier.map(|t| t.as_str()).unwrap_or("requester").into(),
        created_date: when(n.created_at),
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequestAttachment {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_by_name: String,
    pub created_date: String,
    /// Download link (always served as an attachment).
    pub uri: String,
}

fn attachment_dto(a: support::Attachment) -> ServiceRequestAttachment {
    ServiceRequestAttachment {
        uri: format!("/v1/servicerequests/{}/attachments/{}", a.request_id, a.id),
        id: a.id.to_string(),
        file_name: a.file_name,
        content_type: a.content_type,
        size: a.size_bytes,
        sha256: a.sha256,
        created_by_name: a.author_name,
        created_date: when(a.created_at),
    }
}

/// The service-level clock of the tier holding the case.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceLevel {
    pub first_response_due_date: String,
    pub resolution_due_date: String,
    pub first_response_date: Option<String>,
    /// `firstResponse` or `resolution`; absent once closed.
    pub running_goal: Option<String>,
    /// Seconds left on the running goal (negative when late).
    pub seconds_left: Option<i64>,
    /// Some tier missed a target on this case.
    pub breached: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequest {
    pub id: String,
    pub title: String,
    pub description: String,
    /// `critical`, `high` or `normal`.
    pub severity: String,
    pub support_topic_id: String,
    pub support_topic_name: String,
    /// `open`, `attentionNeeded` or `closed`.
    pub status: String,
    pub product_name: String,
    pub primary_contact: PrimaryContact,
    /// The organisation that raised the request.
    pub organization: Organization,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    /// The tier holding it: `reseller`, `provider` or `operator`.
    pub tier: String,
    pub assigned_to: Organization,
    pub service_level: ServiceLevel,
    pub created_date: String,
    pub last_modified_date: String,
    pub last_closed_date: Option<String>,
    /// The thread (on single reads; empty in lists).
    pub notes: Vec<ServiceRequestNote>,
    pub attachments: Vec<ServiceRequestAttachment>,
    pub attributes: Attributes,
}

fn dto(c: support::Case, now: i64) -> ServiceRequest {
    let clock = support::clock_of(&c);
    ServiceRequest {
        id: c.id.to_string(),
        title: c.title,
        description: c.description,
        severity: c.severity.as_str().into(),
        support_topic_id: c.topic_id,
        support_topic_name: c.topic_name,
        status: c.status.as_str().into(),
        product_name: c.product_name,
        primary_contact: PrimaryContact {
            name: c.contact_name,
            email: c.contact_email,
        },
        organization: Organization {
            id: c.requester.to_string(),
            name: c.requester_name,
        },
        customer_id: c.path.0[0].map(|t| t.to_string()),
        subscription_id: c.subscription_id,
        tier: c.tier.as_str().into(),
        assigned_to: Organization {
            id: c.assignee.to_string(),
            name: c.assignee_name,
        },
        service_level: ServiceLevel {
            first_response_due_date: when(c.first_response_due),
            resolution_due_date: when(c.resolution_due),
            first_response_date: c.responded_at.map(when),
            running_goal: clock.running().map(|(g, _)| g.as_str().into()),
            seconds_left: clock.time_left(now).map(|ms| ms.div_euclid(1000)),
            breached: c.breached,
        },
        created_date: when(c.created_at),
        last_modified_date: when(c.updated_at),
        last_closed_date: c.closed_at.map(when),
        notes: vec![],
        attachments: vec![],
        attributes: Attributes::with_etag("ServiceRequest", c.version),
    }
}

fn detail_response(app: &App, status: StatusCode, d: CaseDetail) -> Response {
    let v = d.case.version;
    let mut body = dto(d.case, app.clock.now_ms());
    body.notes = d.notes.into_iter().map(note_dto).collect();
    body.attachments = d.attachments.into_iter().map(attachment_dto).collect();
    (status, [(header::ETAG, etag(v))], Json(body)).into_response()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewServiceRequest {
    pub title: String,
    pub description: String,
    /// `critical`, `high` or `normal`.
    pub severity: String,
    pub support_topic_id: String,
    #[serde(default)]
    pub product_name: String,
    #[serde(default)]
    pub primary_contact: PrimaryContact,
    /// Raise it on behalf of this customer (resellers and providers serving it).
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
}

fn parse_tenant(field: &str, v: &str) -> Result<TenantId, Error> {
    v.trim()
        .parse()
        .map_err(|_| Error::field(field, "a customer id (tenant id)"))
}

async fn raise_with(
    app: &App,
    ctx: &crate::app::Ctx,
    b: &NewServiceRequest,
    customer: Option<TenantId>,
) -> ApiResult<Response> {
    let d = support::raise(
        app,
        ctx,
        NewCase {
            input: DraftInput {
                title: &b.title,
                description: &b.description,
                severity: &b.severity,
                topic_id: &b.support_topic_id,
                product_name: &b.product_name,
                contact_name: &b.primary_contact.name,
                contact_email: &b.primary_contact.email,
            },
            customer,
            subscription_id: b.subscription_id.clone(),
        },
    )
    .await?;
    Ok(detail_response(app, StatusCode::CREATED, d))
}

/// Raises a request with the tier above the caller's organisation (for itself, or for a
/// customer named in `customerId`).
#[utoipa::path(post, path = "/v1/servicerequests", tag = "support", request_body = NewServiceRequest,
    responses((status = 201, body = ServiceRequest), (status = 400, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<NewServiceRequest>,
) -> ApiResult<Response> {
    let customer = match b.customer_id.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(c) => Some(parse_tenant("customerId", c)?),
        None => None,
    };
    raise_with(&app, &ctx, &b, customer).await
}

/// Raises a request about a customer (the customer itself, its reseller or its provider).
#[utoipa::path(post, path = "/v1/customers/{customerId}/servicerequests", tag = "support",
    params(("customerId" = String, Path)), request_body = NewServiceRequest,
    responses((status = 201, body = ServiceRequest), (status = 400, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create_for_customer(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(customer): Path<String>,
    Body(b): Body<NewServiceRequest>,
) -> ApiResult<Response> {
    let customer =
        parse_tenant("customerId", &customer).map_err(|_| Error::NotFound("the customer"))?;
    if b.customer_id
        .as_deref()
        .is_some_and(|c| c.trim() != customer.to_string())
    {
        return Err(Error::field("customerId", "must match the customer in the path").into());
    }
    raise_with(&app, &ctx, &b, Some(customer)).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequestQuery {
    /// `all` (default: every request the organisation is a party to), `mine` (raised by
    /// it) or `assigned` (held by it now).
    pub view: Option<String>,
    /// `open`, `attentionNeeded` or `closed`.
    pub status: Option<String>,
    /// `critical`, `high` or `normal`.
    pub severity: Option<String>,
    pub customer_id: Option<String>,
    pub support_topic_id: Option<String>,
    /// `true`: only requests that missed a target; `false`: only those that did not.
    pub breached: Option<bool>,
    pub size: Option<u32>,
    pub seek_operation: Option<String>,
}

fn filter_of(q: &ServiceRequestQuery) -> Result<(CaseView, CaseFilter), Error> {
    let view = match q.view.as_deref().map(str::trim).unwrap_or("") {
        "" | "all" => CaseView::All,
        "mine" => CaseView::Mine,
        "assigned" => CaseView::Assigned,
        _ => return Err(Error::field("view", "all, mine or assigned")),
    };
    let some = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let status = match some(&q.status) {
        Some(s) => Some(
            Status::parse(&s)
                .ok_or_else(|| Error::field("status", "open, attentionNeeded or closed"))?,
        ),
        None => None,
    };
    let severity = match some(&q.severity) {
        Some(s) => Some(
            Severity::parse(&s)
                .ok_or_else(|| Error::field("severity", "critical, high or normal"))?,
        ),
        None => None,
    };
    let customer = match some(&q.customer_id) {
        Some(c) => Some(parse_tenant("customerId", &c)?),
        None => None,
    };
    Ok((
        view,
        CaseFilter {
            status,
            severity,
            customer,
            topic: some(&q.support_topic_id),
            breached: q.breached,
        },
    ))
}

fn fingerprint(prefix: &str, q: &ServiceRequestQuery) -> String {
    format!(
        "{prefix}:{:?}:{:?}:{:?}:{:?}:{:?}:{:?}",
        q.view, q.status, q.severity, q.customer_id, q.support_topic_id, q.breached
    )
}

async fn list_page(
    app: &App,
    ctx: &crate::app::Ctx,
    headers: &HeaderMap,
    q: ServiceRequestQuery,
    customer: Option<TenantId>,
    path: &str,
) -> ApiResult<Json<Collection<ServiceRequest>>> {
    let (view, filter) = filter_of(&q)?;
    let page = Page::from_request(
        headers,
        &super::collection::PageQuery {
            size: q.size,
            seek_operation: q.seek_operation.clone(),
        },
        &fingerprint(&format!("servicerequests:{}:{path}", ctx.actor.tenant), &q),
        &app.keys.paging_secret,
    )?;
    let before = page.before_time();
    let (rows, total) = match customer {
        Some(c) => support::list_for_customer(app, ctx, c, filter, before, page.size + 1).await?,
        None => support::list(app, ctx, view, &filter, before, page.size + 1).await?,
    };
    let now = app.clock.now_ms();
    Ok(Json(page.finish(
        rows,
        total,
        path,
        &app.keys.paging_secret,
        |r| (r.created_at.to_string(), r.id.to_string()),
        |c| dto(c, now),
    )))
}

/// Requests the organisation is a party to, newest first, with filters.
#[utoipa::path(get, path = "/v1/servicerequests", tag = "support", params(ServiceRequestQuery),
    responses((status = 200, body = Collection<ServiceRequest>), (status = 400, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<ServiceRequestQuery>,
) -> ApiResult<Json<Collection<ServiceRequest>>> {
    list_page(&app, &ctx, &headers, q, None, "/v1/servicerequests").await
}

/// Requests about one customer that the caller may see.
#[utoipa::path(get, path = "/v1/customers/{customerId}/servicerequests", tag = "support",
    params(("customerId" = String, Path), ServiceRequestQuery),
    responses((status = 200, body = Collection<ServiceRequest>), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list_for_customer(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Path(customer): Path<String>,
    Query(q): Query<ServiceRequestQuery>,
) -> ApiResult<Json<Collection<ServiceRequest>>> {
    let id = parse_tenant("customerId", &customer).map_err(|_| Error::NotFound("the customer"))?;
    let path = format!("/v1/customers/{id}/servicerequests");
    list_page(&app, &ctx, &headers, q, Some(id), &path).await
}

#[utoipa::path(get, path = "/v1/servicerequests/{serviceRequestId}", tag = "support",
    params(("serviceRequestId" = String, Path)),
    responses((status = 200, body = ServiceRequest), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let d = support::detail(&app, &ctx, &id).await?;
    Ok(detail_response(&app, StatusCode::OK, d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceRequestPatch {
    /// `open` (answer, reopen), `attentionNeeded` (ask the requester for information) or
    /// `closed` (resolve, withdraw).
    pub status: Option<String>,
    /// A note added to the thread with the change.
    pub note: Option<String>,
    /// Hand the request to the next tier up (the tier holding it only).
    #[serde(default)]
    pub escalate: bool,
}

/// Answers, asks for information, resolves, reopens or escalates (`If-Match` optional).
#[utoipa::path(patch, path = "/v1/servicerequests/{serviceRequestId}", tag = "support",
    params(("serviceRequestId" = String, Path)), request_body = ServiceRequestPatch,
    responses((status = 200, body = ServiceRequest), (status = 400, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 412, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn patch(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(b): Body<ServiceRequestPatch>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, None)?;
    let d = support::update(
        &app,
        &ctx,
        &id,
        Update {
            status: b.status,
            note: b.note,
            escalate: b.escalate,
        },
        expected,
    )
    .await?;
    Ok(detail_response(&app, StatusCode::OK, d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
    /// The note this one answers.
    pub reply_to: Option<String>,
}

#[utoipa::path(get, path = "/v1/servicerequests/{serviceRequestId}/notes", tag = "support",
    params(("serviceRequestId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<ServiceRequestNote>), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn notes(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Collection<ServiceRequestNote>>> {
    let path = format!("/v1/servicerequests/{id}/notes");
    let page = Page::from_request(&headers, &q, &path, &app.keys.paging_secret)?;
    let (rows, total) =
        support::notes_page(&app, &ctx, &id, after_time(&page), page.size + 1).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |n| (n.created_at.to_string(), n.id.to_string()),
        note_dto,
    )))
}

/// For lists oldest first by a millisecond time: the (time, id) to continue after.
fn after_time(page: &Page) -> Option<(i64, &str)> {
    page.after
        .as_ref()
        .map(|c| (c.key.parse::<i64>().unwrap_or(i64::MAX), c.id.as_str()))
}

#[utoipa::path(post, path = "/v1/servicerequests/{serviceRequestId}/notes", tag = "support",
    params(("serviceRequestId" = String, Path)), request_body = NewNote,
    responses((status = 201, body = ServiceRequestNote), (status = 400, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn add_note(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Body(b): Body<NewNote>,
) -> ApiResult<(StatusCode, Json<ServiceRequestNote>)> {
    let n = support::add_note(&app, &ctx, &id, &b.text, b.reply_to.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(note_dto(n))))
}

#[utoipa::path(get, path = "/v1/servicerequests/{serviceRequestId}/attachments", tag = "support",
    params(("serviceRequestId" = String, Path), PageQuery),
    responses((status = 200, body = Collection<ServiceRequestAttachment>), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn attachments(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Collection<ServiceRequestAttachment>>> {
    let path = format!("/v1/servicerequests/{id}/attachments");
    let page = Page::from_request(&headers, &q, &path, &app.keys.paging_secret)?;
    let (rows, total) =
        support::attachments_page(&app, &ctx, &id, after_time(&page), page.size + 1).await?;
    Ok(Json(page.finish(
        rows,
        total,
        &path,
        &app.keys.paging_secret,
        |a| (a.created_at.to_string(), a.id.to_string()),
        attachment_dto,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct UploadQuery {
    /// The file's name as shown to others (no folders).
    pub file_name: String,
}

/// Attaches a file: the raw bytes as the body, its type in `Content-Type` (text, CSV, JSON,
/// PDF, PNG, JPEG, GIF or ZIP; the content must match the type), at most 10 MB.
#[utoipa::path(post, path = "/v1/servicerequests/{serviceRequestId}/attachments", tag = "support",
    params(("serviceRequestId" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ServiceRequestAttachment), (status = 400, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn upload(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<ServiceRequestAttachment>)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let bytes = axum::body::to_bytes(body, MAX_ATTACHMENT_BYTES + 1)
        .await
        .map_err(|_| Error::field("file", "files are limited to 10 MB each"))?;
    let a = support::attach(&app, &ctx, &id, &q.file_name, ct, &bytes).await?;
    Ok((StatusCode::CREATED, Json(attachment_dto(a))))
}

/// Downloads a file, always as an attachment (never rendered by the browser).
#[utoipa::path(get, path = "/v1/servicerequests/{serviceRequestId}/attachments/{attachmentId}", tag = "support",
    params(("serviceRequestId" = String, Path), ("attachmentId" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn download(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path((id, attachment)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (a, bytes) = support::download(&app, &ctx, &id, &attachment).await?;
    Ok(crate::web::file_response(
        &a.file_name,
        &a.content_type,
        bytes,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SupportTopic {
    pub id: String,
    pub name: String,
    pub description: String,
    pub product_name: String,
}

/// The support topics a request can be filed under.
#[utoipa::path(get, path = "/v1/servicerequests/supporttopics", tag = "support", params(PageQuery),
    responses((status = 200, body = Collection<SupportTopic>)),
    security(("bearer" = [])))]
pub async fn topics(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Collection<SupportTopic>>> {
    let path = "/v1/servicerequests/supporttopics";
    let page = Page::from_request(&headers, &q, path, &app.keys.paging_secret)?;
    let after = page.after.as_ref().map(|c| (c.key.as_str(), c.id.as_str()));
    let (rows, total) = support::topics_page(&app, &ctx, after, page.size + 1).await?;
    Ok(Json(page.finish(
        rows,
        total,
        path,
        &app.keys.paging_secret,
        |t| (t.name.clone(), t.id.clone()),
        |t| SupportTopic {
            id: t.id,
            name: t.name,
            description: t.description,
            product_name: t.product_name,
        },
    )))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SupportTarget {
    /// `critical`, `high` or `normal`.
    pub severity: String,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

fn target_dto(t: Target) -> SupportTarget {
    SupportTarget {
        severity: t.severity.as_str().into(),
        first_response_minutes: t.first_response_minutes,
        resolution_minutes: t.resolution_minutes,
    }
}

/// The organisation's service-level targets per severity (defaults where unset).
#[utoipa::path(get, path = "/v1/profiles/supporttargets", tag = "support",
    responses((status = 200, body = Vec<SupportTarget>), (status = 403, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_targets(
    State(app): State<App>,
    Caller(ctx): Caller,
) -> ApiResult<Json<Vec<SupportTarget>>> {
    let t = support::targets(&app, &ctx).await?;
    Ok(Json(t.into_iter().map(target_dto).collect()))
}

/// Sets targets for some or all severities.
#[utoipa::path(put, path = "/v1/profiles/supporttargets", tag = "support",
    request_body = Vec<SupportTarget>,
    responses((status = 200, body = Vec<SupportTarget>), (status = 400, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_targets(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<Vec<SupportTarget>>,
) -> ApiResult<Json<Vec<SupportTarget>>> {
    let mut out = Vec::new();
    for (i, t) in b.iter().enumerate() {
        let severity = Severity::parse(&t.severity)
            .ok_or_else(|| Error::field(format!("[{i}].severity"), "critical, high or normal"))?;
        out.push(Target {
            severity,
            first_response_minutes: t.first_response_minutes,
            resolution_minutes: t.resolution_minutes,
        });
    }
    let t = support::set_targets(&app, &ctx, out).await?;
    Ok(Json(t.into_iter().map(target_dto).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreachRate {
    /// The reseller's id or the topic's id (empty: requests without a reseller).
    pub id: String,
    pub name: String,
    pub total: i64,
    pub breached: i64,
    /// Breached over total, 0 to 1.
    pub rate: f64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct BreachQuery {
    /// `reseller` (default) or `topic`.
    pub group_by: Option<String>,
}

/// Breach rates per reseller or per topic: every request for the operator, requests on the
/// provider's path for a provider.
#[utoipa::path(get, path = "/v1/servicerequests/breachrates", tag = "support", params(BreachQuery),
    responses((status = 200, body = Vec<BreachRate>), (status = 403, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn breach_rates(
    State(app): State<App>,
    Caller(ctx): Caller,
    Query(q): Query<BreachQuery>,
) -> ApiResult<Json<Vec<BreachRate>>> {
    let by_topic = match q.group_by.as_deref().map(str::trim).unwrap_or("reseller") {
        "reseller" | "" => false,
        "topic" => true,
        _ => return Err(Error::field("groupBy", "reseller or topic").into()),
    };
    let rows = support::breach_rates(&app, &ctx, by_topic).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| BreachRate {
                rate: if r.total > 0 {
                    r.breached as f64 / r.total as f64
                } else {
                    0.0
                },
                id: r.key,
                name: r.name,
                total: r.total,
                breached: r.breached,
            })
            .collect(),
    ))
}
