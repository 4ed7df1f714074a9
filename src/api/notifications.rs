//! `/v1/users/me/notifications`: which events mail the signed-in user, and how.

use super::error::{ApiErrorBody, ApiResult};
use super::extract::{Body, Caller};
use super::json::Json;
use crate::app::notifications::Settings;
use crate::app::{notifications, App};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationSettings {
    /// Event names (as for webhooks, without `test-created`).
    pub events: Vec<String>,
    /// Collect the events in one mail a day instead of one mail each.
    pub daily_digest: bool,
}

fn dto(s: Settings) -> NotificationSettings {
    NotificationSettings {
        events: s.events,
        daily_digest: s.digest,
    }
}

#[utoipa::path(get, path = "/v1/users/me/notifications", tag = "notifications",
    responses((status = 200, body = NotificationSettings), (status = 403, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get_settings(
    State(app): State<App>,
    Caller(ctx): Caller,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(dto(notifications::settings(&app, &ctx).await?)))
}

#[utoipa::path(put, path = "/v1/users/me/notifications", tag = "notifications",
    request_body = NotificationSettings,
    responses((status = 200, body = NotificationSettings), (status = 400, body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn put_settings(
    State(app): State<App>,
    Caller(ctx): Caller,
    Body(b): Body<NotificationSettings>,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(dto(notifications::save(
        &app,
        &ctx,
        b.events,
        b.daily_digest,
    )
    .await?)))
}
