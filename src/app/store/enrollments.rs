//! Enrollment applications.

use super::identity::{bad_column, id_col};
use super::paged::{Listing, Seek};
use super::{Db, Tx};
use crate::domain::enrollment::{Application, Program, Status};
use crate::domain::ids::{EnrollmentId, TenantId, UserId};
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct EnrollmentRow {
    pub id: EnrollmentId,
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

fn from_row(r: &sqlx::any::AnyRow) -> Result<EnrollmentRow, sqlx::Error> {
    let program: String = r.try_get("program")?;
    let status: String = r.try_get("status")?;
    let application: String = r.try_get("application")?;
    Ok(EnrollmentRow {
        id: id_col(r, "id")?,
        tenant_id: id_col(r, "tenant_id")?,
        program: Program::parse(&program).ok_or_else(|| bad_column("program", &program))?,
        status: Status::parse(&status).ok_or_else(|| bad_column("status", &status))?,
        applicant_user_id: id_col(r, "applicant_user_id")?,
        support_only: r.try_get::<i64, _>("support_only")? != 0,
        mpn_id: r.try_get("mpn_id")?,
        profile_id: r.try_get("profile_id")?,
        // A corrupt application is an error, not an empty form.
        application: serde_json::from_str(&application)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        review_note: r.try_get("review_note")?,
        reviewed_by: r.try_get("reviewed_by")?,
        submitted_at: r.try_get("submitted_at")?,
        verified_at: r.try_get("verified_at")?,
        decided_at: r.try_get("decided_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

/// Creates the draft unless the tenant already has an application for the program; returns
/// whichever row exists afterwards, so a repeated step never makes two.
pub async fn insert_or_get(tx: &mut Tx, e: &EnrollmentRow) -> Result<EnrollmentRow, sqlx::Error> {
    sqlx::query(
        "INSERT INTO enrollments (id, tenant_id, program, status, applicant_user_id, support_only, \
         mpn_id, profile_id, application, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (tenant_id, program) DO NOTHING",
    )
    .bind(e.id.to_string())
    .bind(e.tenant_id.to_string())
    .bind(e.program.as_str())
    .bind(e.status.as_str())
    .bind(e.applicant_user_id.to_string())
    .bind(e.support_only as i64)
    .bind(e.mpn_id)
    .bind(e.profile_id)
    .bind(super::decode::to_json(&e.application)?)
    .bind(e.created_at)
    .execute(tx.conn().await?)
    .await?;
    let row = sqlx::query("SELECT * FROM enrollments WHERE tenant_id = $1 AND program = $2")
        .bind(e.tenant_id.to_string())
        .bind(e.program.as_str())
        .fetch_one(tx.conn().await?)
        .await?;
    from_row(&row)
}

pub async fn get(db: &Db, id: EnrollmentId) -> Result<Option<EnrollmentRow>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM enrollments WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn get_for_update(
    tx: &mut Tx,
    id: EnrollmentId,
) -> Result<Option<EnrollmentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT * FROM enrollments WHERE id = $1{}",
        tx.backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(tx.conn().await?)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A tenant's applications: at most one per program, so the list is short by construction.
pub async fn of_tenant(db: &Db, tenant: TenantId) -> Result<Vec<EnrollmentRow>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM enrollments WHERE tenant_id = $1 ORDER BY created_at")
        .bind(tenant.to_string())
        .fetch_all(&db.read)
        .await?;
    rows.iter().map(from_row).collect()
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
    .bind(super::decode::to_json(&e.application)?)
    .bind(e.review_note.clone())
    .bind(e.reviewed_by.clone())
    .bind(e.submitted_at)
    .bind(e.verified_at)
    .bind(e.decided_at)
    .bind(e.updated_at)
    .bind(e.support_only as i64)
    .bind(e.id.to_string())
    .bind(e.version)
    .execute(tx.conn().await?)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Which applications a list shows: one tenant's (the applicant) or all (the operator's
/// review queue), optionally in one status.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub tenant: Option<TenantId>,
    pub status: Option<Status>,
}

impl Filter {
    fn binds(&self) -> (String, &'static str) {
        (
            self.tenant.map(|t| t.to_string()).unwrap_or_default(),
            self.status.map(|s| s.as_str()).unwrap_or(""),
        )
    }
}

/// A keyset page of applications, oldest change first (a review queue), after
/// `(updated_at, id)`, and how many the filter lets through.
pub async fn page(
    db: &Db,
    filter: Filter,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<EnrollmentRow>, i64), sqlx::Error> {
    let (at, id) = after.unwrap_or((i64::MIN, ""));
    let (tenant, status) = filter.binds();
    Listing {
        select: "e.*",
        from:
            "FROM enrollments e WHERE ($1 = '' OR e.tenant_id = $1) AND ($2 = '' OR e.status = $2)",
        filter: vec![tenant.into(), status.into()],
    }
    .page(
        &db.read,
        Seek {
            sql: "AND (e.updated_at, e.id) > ($3, $4) ORDER BY e.updated_at, e.id LIMIT $5",
            args: vec![at.into(), id.into(), limit.into()],
            continues: after.is_some(),
        },
        from_row,
    )
    .await
}
