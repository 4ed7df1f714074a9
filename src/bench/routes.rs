//! Bare routes that measure the ceilings of the server stack: the same router layers, the
//! same pools, no authentication and no product logic. Mounted only when the server starts
//! with `--bench-routes` (off by default); never part of the documented API.

use crate::api::error::ApiError;
use crate::api::json::Json;
use crate::app::App;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

pub fn router() -> Router<App> {
    Router::new()
        .route("/bench/fixed", get(fixed))
        .route("/bench/read/{id}", get(read))
        .route("/bench/write", post(write))
}

/// A fixed JSON document: the cost of the stack alone.
async fn fixed() -> Json<Value> {
    Json(json!({ "id": "bench", "companyName": "Fixed", "attributes": { "objectType": "Bench" } }))
}

/// One indexed read (a tenant by primary key).
async fn read(State(app): State<App>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let (id, domain, name, country) = crate::app::bench_world::ceiling_read(&app, &id)
        .await?
        .ok_or(crate::domain::Error::NotFound("tenant"))?;
    Ok(Json(json!({
        "id": id,
        "domain": domain,
        "companyName": name,
        "country": country,
    })))
}

/// A transaction of two inserts, like an order and its line.
async fn write(State(app): State<App>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = uuid::Uuid::now_v7().to_string();
    crate::app::bench_world::ceiling_write(&app, &id).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}
