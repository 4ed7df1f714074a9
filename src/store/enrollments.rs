//! Enrollment applications.

use super::identity::uuid_col;
use super::{Db, Tx};
use crate::domain::enrollment::{Application, Program, Status};
use crate::domain::ids::{TenantId, UserId};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct EnrollmentRow {
    pub id: String,
    pub tenant_id: TenantId,
    pub program: Program,
    pub status: Status,
    pub applicant_user_id: UserId,
    pub support_only: bool,
    pub mpn_id: Option<i64>,
    pub profile_id: Option<i64>,
    pub application: Application,
    pub review_note: Option<String>,
    pub reviewed_by: Option<String>,
    pub submitted_at: Option<i64>,
    pub verified_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

fn from_row(r: &sqlx::any::AnyRow) -> EnrollmentRow {
    EnrollmentRow {
        id: r.get("id"),
        tenant_id: uuid_col(r, "tenant_id"),
        program: Program::parse(&r.get::<String, _>("program")).expect("valid program"),
        status: Status::parse(&r.get::<String, _>("status")).expect("valid status"),
        applicant_user_id: uuid_col(r, "applicant_user_id"),
        support_only: r.get::<i64, _>("support_only") != 0,
        mpn_id: r.get("mpn_id"),
        profile_id: r.get("profile_id"),
        application: serde_json::from_str(&r.get::<String, _>("application")).unwrap_or_default(),
        review_note: r.get("review_note"),
        reviewed_by: r.get("reviewed_by"),
        submitted_at: r.get("submitted_at"),
        verified_at: r.get("verified_at"),
        decided_at: r.get("decided_at"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
        version: r.get("version"),
    }
}

/// Creates the draft unless the tenant already has an application for the program; returns
/// whichever row exists afterwards, so a repeated step never makes two.
pub async fn insert_or_get(tx: &mut Tx, e: &EnrollmentRow) -> Result<EnrollmentRow, sqlx::Error> {
    sqlx::query(
        "INSERT INTO enrollments (id, tenant_id, program, status, applicant_user_id, support_only, \
         mpn_id, profile_id, application, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (tenant_id, program) DO NOTHING",
    )
    .bind(&e.id)
    .bind(e.tenant_id.to_string())
    .bind(e.program.as_str())
    .bind(e.status.as_str())
    .bind(e.applicant_user_id.to_string())
    .bind(e.support_only as i64)
    .bind(e.mpn_id)
    .bind(e.profile_id)
    .bind(serde_json::to_string(&e.application).expect("serializes"))
    .bind(e.created_at)
    .execute(tx.conn())
    .await?;
    let row = sqlx::query("SELECT * FROM enrollments WHERE tenant_id = $1 AND program = $2")
        .bind(e.tenant_id.to_string())
        .bind(e.program.as_str())
        .fetch_one(tx.conn())
        .await?;
    Ok(from_row(&row))
}

pub async fn get(db: &Db, id: &str) -> Result<Option<EnrollmentRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM enrollments WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.read)
        .await?;
    Ok(row.as_ref().map(from_row))
}

pub async fn get_for_update(tx: &mut Tx, id: &str) -> Result<Option<EnrollmentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM enrollments WHERE id = $1{}",
        tx.backend.for_update()
    );
    let row = sqlx::query(&sql).bind(id).fetch_optional(tx.conn()).await?;
    Ok(row.as_ref().map(from_row))
}

pub async fn of_tenant(db: &Db, tenant: TenantId) -> Result<Vec<EnrollmentRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM enrollments WHERE tenant_id = $1 ORDER BY created_at")
        .bind(tenant.to_string())
        .fetch_all(&db.read)
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Saves every mutable field; false when the row changed since it was read.
pub async fn save(tx: &mut Tx, e: &EnrollmentRow) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE enrollments SET status = $1, mpn_id = $2, profile_id = $3, application = $4, \
         review_note = $5, reviewed_by = $6, submitted_at = $7, verified_at = $8, decided_at = $9, \
         updated_at = $10, support_only = $11, version = version + 1 WHERE id = $12 AND version = $13",
    )
    .bind(e.status.as_str())
    .bind(e.mpn_id)
    .bind(e.profile_id)
    .bind(serde_json::to_string(&e.application).expect("serializes"))
    .bind(e.review_note.clone())
    .bind(e.reviewed_by.clone())
    .bind(e.submitted_at)
    .bind(e.verified_at)
    .bind(e.decided_at)
    .bind(e.updated_at)
    .bind(e.support_only as i64)
    .bind(&e.id)
    .bind(e.version)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A page of applications, optionally in one status, oldest change first (a review queue).
pub async fn page(
    db: &Db,
    status: Option<Status>,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<Vec<EnrollmentRow>, sqlx::Error> {
    let (at, id) = after.unwrap_or((i64::MIN, ""));
    let rows = sqlx::query(
        "SELECT * FROM enrollments WHERE ($1 = '' OR status = $1) \
         AND (updated_at, id) > ($2, $3) ORDER BY updated_at, id LIMIT $4",
    )
    .bind(status.map(|s| s.as_str()).unwrap_or(""))
    .bind(at)
    .bind(id)
    .bind(limit as i64)
    .fetch_all(&db.read)
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

pub async fn count(db: &Db, status: Option<Status>) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM enrollments WHERE ($1 = '' OR status = $1)")
        .bind(status.map(|s| s.as_str()).unwrap_or(""))
        .fetch_one(&db.read)
        .await?;
    Ok(row.get("n"))
}
