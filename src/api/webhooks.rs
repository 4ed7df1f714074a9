//! `/webhooks/v1/registration*`: the organisation's webhook, its test events and its delivery
//! log. Bodies accept the partner-center PascalCase names as well as camelCase.

use super::collection::{etag, expected_version, Attributes, Collection, Page, PageQuery};
use super::error::{ApiErrorBody, ApiResult};
use super::extract::{Body, Caller};
use super::extract::{Path, Query};
use super::json::Json;
use crate::app::webhooks::{self, Input};
use crate::app::webhooks::{AttemptRow, Delivery, Registration};
use crate::app::App;
use crate::domain::webhook::{DeliveryStatus, PayloadShape, EVENTS};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegistrationInput {
    /// HTTPS address that receives the events.
    #[serde(alias = "WebhookUrl")]
    pub webhook_url: String,
    /// Event names from `GET /webhooks/v1/registration/events`.
    #[serde(alias = "WebhookEvents")]
    pub webhook_events: Vec<String>,
    /// `standard` (camelCase with `eventId`, the default) or `partner_center` (the public
    /// reference's PascalCase `EventName`, `ResourceUri`, `ResourceName`, `AuditUri`,
    /// `ResourceChangeUtcDate`). Left out on PUT, the current shape stays.
    #[serde(default)]
    pub payload_shape: Option<String>,
}

fn shape(raw: &Option<String>) -> Result<Option<PayloadShape>, crate::domain::Error> {
    raw.as_deref()
        .map(|s| {
            PayloadShape::parse(s).ok_or_else(|| {
                crate::domain::Error::field("payloadShape", "standard or partner_center")
            })
        })
        .transpose()
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationDto {
    pub subscriber_id: String,
    pub webhook_url: String,
    pub webhook_events: Vec<String>,
    /// `standard` or `partner_center`.
    pub payload_shape: String,
    /// The signing secret (`whsec_…`), shown only when created or rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// Until when deliveries are also signed with the previous secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_valid_until: Option<String>,
    pub created_date: String,
    pub last_modified_date: String,
    pub attributes: Attributes,
}

fn dto(r: Registration, secret: Option<String>, now: i64) -> RegistrationDto {
    RegistrationDto {
        subscriber_id: r.subscriber_id,
        webhook_url: r.url,
        webhook_events: r.events,
        payload_shape: r.payload_shape.as_str().into(),
        webhook_secret: secret,
        previous_secret_valid_until: r
            .previous_until
            .filter(|u| *u > now)
            .map(|u| crate::clock::from_ms(u).to_rfc3339()),
        created_date: crate::clock::from_ms(r.created_at).to_rfc3339(),
        last_modified_date: crate::clock::from_ms(r.updated_at).to_rfc3339(),
        attributes: Attributes::with_etag("WebhookRegistration", r.version),
    }
}

fn tagged(status: StatusCode, version: i64, body: RegistrationDto) -> Response {
    (status, [(header::ETAG, etag(version))], Json(body)).into_response()
}

/// The events a webhook can subscribe to.
#[utoipa::path(get, path = "/webhooks/v1/registration/events", tag = "webhooks",
    responses((status = 200, body = Vec<String>)), security(("bearer" = [])))]
pub async fn events(Caller(_ctx): Caller) -> Json<Vec<&'static str>> {
    Json(EVENTS.to_vec())
}

/// Registers the organisation's webhook; the answer carries the signing secret once.
#[utoipa::path(post, path = "/webhooks/v1/registration", tag = "webhooks", request_body = RegistrationInput,
    responses((status = 201, body = RegistrationDto), (status = 400, body = ApiErrorBody), (status = 409, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn register(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<RegistrationInput>,
) -> ApiResult<Response> {
    let v = webhooks::register(
        &app,
        &ctx,
        Input {
            payload_shape: shape(&b.payload_shape)?,
            url: b.webhook_url,
            events: b.webhook_events,
        },
    )
    .await?;
    let version = v.registration.version;
    Ok(tagged(
        StatusCode::CREATED,
        version,
        dto(v.registration, v.secret, app.clock.now_ms()),
    ))
}

#[utoipa::path(get, path = "/webhooks/v1/registration", tag = "webhooks",
    responses((status = 200, body = RegistrationDto), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_registration(State(app): State<App>, Caller(ctx): Caller) -> ApiResult<Response> {
    let r = webhooks::get(&app, &ctx).await?;
    let version = r.version;
    Ok(tagged(
        StatusCode::OK,
        version,
        dto(r, None, app.clock.now_ms()),
    ))
}

/// Changes the URL and events (`If-Match` optional).
#[utoipa::path(put, path = "/webhooks/v1/registration", tag = "webhooks", request_body = RegistrationInput,
    responses((status = 200, body = RegistrationDto), (status = 400, body = ApiErrorBody), (status = 412, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Body(b): Body<RegistrationInput>,
) -> ApiResult<Response> {
    let expected = expected_version(&headers, None)?;
    let r = webhooks::update(
        &app,
        &ctx,
        Input {
            payload_shape: shape(&b.payload_shape)?,
            url: b.webhook_url,
            events: b.webhook_events,
        },
        expected,
    )
    .await?;
    let version = r.version;
    Ok(tagged(
        StatusCode::OK,
        version,
        dto(r, None, app.clock.now_ms()),
    ))
}

#[utoipa::path(delete, path = "/webhooks/v1/registration", tag = "webhooks",
    responses((status = 204), (status = 404, body = ApiErrorBody)), security(("bearer" = [])))]
pub async fn remove(State(app): State<App>, Caller(ctx): Caller) -> ApiResult<StatusCode> {
    webhooks::remove(&app, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret; the previous one also signs for 24 hours.
#[utoipa::path(post, path = "/webhooks/v1/registration/secret/rotate", tag = "webhooks",
    responses((status = 200, body = RegistrationDto), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate(State(app): State<App>, Caller(ctx): Caller) -> ApiResult<Response> {
    let v = webhooks::rotate_secret(&app, &ctx).await?;
    let version = v.registration.version;
    Ok(tagged(
        StatusCode::OK,
        version,
        dto(v.registration, v.secret, app.clock.now_ms()),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationEvent {
    pub correlation_id: String,
}

/// Sends a `test-created` event to the webhook (a few per minute).
#[utoipa::path(post, path = "/webhooks/v1/registration/validationEvents", tag = "webhooks",
    responses((status = 200, body = ValidationEvent), (status = 404, body = ApiErrorBody), (status = 429, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn send_test(
    State(app): State<App>,
    Caller(ctx): Caller,
) -> ApiResult<Json<ValidationEvent>> {
    let correlation_id = webhooks::send_test(&app, &ctx).await?;
    Ok(Json(ValidationEvent { correlation_id }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptDto {
    pub attempted_at: String,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDto {
    pub id: String,
    pub event_id: String,
    pub event_name: String,
    pub correlation_id: Option<String>,
    /// `pending`, `delivered` or `failed` (given up after a day of retries).
    pub status: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_date: String,
    pub delivered_date: Option<String>,
    /// The exact body sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_log: Option<Vec<AttemptDto>>,
    pub attributes: Attributes,
}

fn delivery_dto(d: Delivery, attempts: Option<Vec<AttemptRow>>) -> DeliveryDto {
    let when = |ms: i64| crate::clock::from_ms(ms).to_rfc3339();
    DeliveryDto {
        id: d.id.to_string(),
        event_id: d.event_id,
        event_name: d.event_name,
        correlation_id: d.correlation_id,
        next_attempt_at: (d.status == DeliveryStatus::Pending).then(|| when(d.next_attempt_at)),
        status: d.status.as_str().into(),
        attempts: d.attempts,
        last_status_code: d.last_status_code,
        last_error: d.last_error,
        created_date: when(d.created_at),
        delivered_date: d.delivered_at.map(when),
        payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
        attempt_log: attempts.map(|a| {
            a.into_iter()
                .map(|x| AttemptDto {
                    attempted_at: when(x.attempted_at),
                    status_code: x.status_code,
                    error: x.error,
                    duration_ms: x.duration_ms,
                })
                .collect()
        }),
        attributes: Attributes::of("WebhookDelivery"),
    }
}

/// What happened to a test event.
#[utoipa::path(get, path = "/webhooks/v1/registration/validationEvents/{correlationId}", tag = "webhooks",
    params(("correlationId" = String, Path)),
    responses((status = 200, body = DeliveryDto), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn test_status(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(correlation_id): Path<String>,
) -> ApiResult<Json<DeliveryDto>> {
    let (d, a) = webhooks::test_status(&app, &ctx, &correlation_id).await?;
    Ok(Json(delivery_dto(d, Some(a))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `failed`.
    pub status: Option<String>,
    pub size: Option<u32>,
    pub seek_operation: Option<String>,
}

/// The delivery log, newest first.
#[utoipa::path(get, path = "/webhooks/v1/registration/deliveries", tag = "webhooks", params(DeliveryQuery),
    responses((status = 200, body = Collection<DeliveryDto>), (status = 400, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn deliveries(
    State(app): State<App>,
    Caller(ctx): Caller,
    headers: HeaderMap,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<Collection<DeliveryDto>>> {
    let status = q.status.clone().filter(|s| !s.is_empty());
    let fingerprint = format!(
        "deliveries:{}:{}",
        ctx.actor.tenant,
        status.clone().unwrap_or_default()
    );
    let page = Page::from_request(
        &headers,
        &PageQuery {
            size: q.size,
            seek_operation: q.seek_operation.clone(),
        },
        &fingerprint,
        &app.keys.paging_secret,
    )?;
    let before = page.before_time();
    let (rows, total) =
        webhooks::deliveries(&app, &ctx, status.as_deref(), before, page.size + 1).await?;
    Ok(Json(page.finish(
        rows,
        total,
        "/webhooks/v1/registration/deliveries",
        &app.keys.paging_secret,
        |d| (d.created_at.to_string(), d.id.to_string()),
        |d| delivery_dto(d, None),
    )))
}

/// One delivery with every attempt (time, response code, error, duration).
#[utoipa::path(get, path = "/webhooks/v1/registration/deliveries/{deliveryId}", tag = "webhooks",
    params(("deliveryId" = String, Path)),
    responses((status = 200, body = DeliveryDto), (status = 404, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn delivery(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DeliveryDto>> {
    let (d, a) = webhooks::delivery(&app, &ctx, &id).await?;
    Ok(Json(delivery_dto(d, Some(a))))
}

/// Queues a delivered or failed event again, with its original event id.
#[utoipa::path(post, path = "/webhooks/v1/registration/deliveries/{deliveryId}/redeliver", tag = "webhooks",
    params(("deliveryId" = String, Path)),
    responses((status = 202), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn redeliver(
    State(app): State<App>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    webhooks::redeliver(&app, &ctx, &id).await?;
    Ok(StatusCode::ACCEPTED)
}
