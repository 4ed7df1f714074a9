//! Bare routes that measure the ceilings of the server stack: the same router layers, the
//! same pools, no authentication and no product logic. Mounted only when the server starts
//! with `--bench-routes` (off by default); never part of the documented API.

use crate::api::error::ApiError;
use crate::app::App;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use sqlx::Row;

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
    let row = sqlx::query("SELECT id, domain, display_name, country FROM tenants WHERE id = $1")
        .bind(&id)
        .fetch_optional(&app.db.read)
        .await?
        .ok_or(crate::domain::Error::NotFound("tenant"))?;
    Ok(Json(json!({
        "id": row.get::<String, _>("id"),
        "domain": row.get::<String, _>("domain"),
        "companyName": row.get::<String, _>("display_name"),
        "country": row.get::<String, _>("country"),
    })))
}

/// A transaction of two inserts, like an order and its line.
async fn write(State(app): State<App>) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    sqlx::query("INSERT INTO bench_ceiling_orders (id, subject, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind("bench")
        .bind(now)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "INSERT INTO bench_ceiling_lines (order_id, line_number, payload) VALUES ($1, 0, $2)",
    )
    .bind(&id)
    .bind("PH-SUITE:BASIC:US-M x 1")
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}
