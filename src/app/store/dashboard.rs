//! Aggregate reads behind the dashboards. Every count starts from an index that begins with
//! the organisation (migration 0023), so a partner with many customers reads its own range
//! only. Months and ages are bucketed by bounds computed in `domain::figures` and bound as
//! parameters, so SQLite and PostgreSQL bucket alike without date functions.

use super::decode::bad_column;
use super::identity::id_col;
use super::Db;
use crate::domain::ids::TenantId;
use sqlx::Row;

/// Which of a partner's sides a figure counts: rows where it is the reseller of record, the
/// billed provider, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Reseller,
    Provider,
    Both,
}

impl Side {
    /// The condition on table `alias` with the partner bound as `$1`.
    fn cond(self, alias: &str) -> String {
        match self {
            Side::Reseller => format!("{alias}.reseller_tenant_id = $1"),
            Side::Provider => format!("{alias}.provider_tenant_id = $1"),
            Side::Both => {
                format!("({alias}.reseller_tenant_id = $1 OR {alias}.provider_tenant_id = $1)")
            }
        }
    }
}

/// `CASE` giving the index of the last of `n` ascending bounds (bound as `$first..`) that
/// `col` reaches, or -1 before them all.
fn bucket_case(col: &str, first: usize, n: usize) -> String {
    let mut s = String::from("CAST(CASE");
    for i in (0..n).rev() {
        s.push_str(&format!(" WHEN {col} >= ${} THEN {i}", first + i));
    }
    s.push_str(" ELSE -1 END AS BIGINT)");
    s
}

/// Runs a `(bucket, n)` query with `$1` the organisation and `$2..` the bounds.
async fn buckets(
    db: &Db,
    sql: &str,
    org: TenantId,
    bounds: &[i64],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let mut q = sqlx::query(sql).bind(org.to_string());
    for b in bounds {
        q = q.bind(*b);
    }
    let rows = q.fetch_all(&db.read).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("b")?, r.try_get("n")?)))
        .collect()
}

/// Whose subscriptions a figure counts: a partner's (on one side or both) or a customer's.
#[derive(Debug, Clone, Copy)]
pub enum SeatsOf {
    Partner(TenantId, Side),
    Customer(TenantId),
}

impl SeatsOf {
    /// The condition on `subscriptions s` with the organisation bound as `$1`.
    fn cond(self) -> (String, TenantId) {
        match self {
            SeatsOf::Partner(p, side) => (side.cond("s"), p),
            SeatsOf::Customer(c) => ("s.customer_tenant_id = $1".to_string(), c),
        }
    }
}

/// Active subscriptions and the seats they carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sales {
    pub subscriptions: i64,
    pub seats: i64,
}

pub async fn sales(db: &Db, of: SeatsOf) -> Result<Sales, sqlx::Error> {
    let (cond, org) = of.cond();
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(s.quantity), 0) AS BIGINT) AS seats \
         FROM subscriptions s WHERE {cond} AND s.status = 'active'"
    );
    let r = sqlx::query(&sql)
        .bind(org.to_string())
        .fetch_one(&db.read)
        .await?;
    Ok(Sales {
        subscriptions: r.try_get("n")?,
        seats: r.try_get("seats")?,
    })
}

/// Customer relationships of the partner started and ended per month since `bounds[0]`.
pub async fn relationship_changes(
    db: &Db,
    partner: TenantId,
    bounds: &[i64],
) -> Result<(Vec<(i64, i64)>, Vec<(i64, i64)>), sqlx::Error> {
    let per = |col: &str| {
        format!(
            "SELECT b, CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT {} AS b FROM customer_relationships \
             WHERE partner_tenant_id = $1 AND {col} >= $2) x GROUP BY b",
            bucket_case(col, 2, bounds.len())
        )
    };
    let started = buckets(db, &per("created_at"), partner, bounds).await?;
    let ended = buckets(db, &per("ended_at"), partner, bounds).await?;
    Ok((started, ended))
}

/// The net change of active seats per month since `bounds[0]`: each change of a subscription
/// (its history in `subscription_events`) minus the state before it. Only subscriptions
/// changed since the window's start are read.
pub async fn seat_changes(
    db: &Db,
    partner: TenantId,
    side: Side,
    bounds: &[i64],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT b, CAST(SUM(d) AS BIGINT) AS n FROM (SELECT {} AS b, \
           (CASE WHEN e.status = 'active' THEN e.quantity ELSE 0 END) - COALESCE((\
             SELECT CASE WHEN p.status = 'active' THEN p.quantity ELSE 0 END FROM subscription_events p \
             WHERE p.subscription_id = e.subscription_id AND (p.at < e.at OR (p.at = e.at AND p.id < e.id)) \
             ORDER BY p.at DESC, p.id DESC LIMIT 1), 0) AS d \
         FROM subscriptions s JOIN subscription_events e ON e.subscription_id = s.id \
         WHERE {} AND s.updated_at >= $2 AND e.at >= $2) x GROUP BY b",
        bucket_case("e.at", 2, bounds.len()),
        side.cond("s")
    );
    buckets(db, &sql, partner, bounds).await
}

/// Orders per month since `bounds[0]`.
pub async fn orders_per_month(
    db: &Db,
    partner: TenantId,
    side: Side,
    bounds: &[i64],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let sql = format!(
        "SELECT b, CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT {} AS b FROM orders o \
         WHERE {} AND o.created_at >= $2) x GROUP BY b",
        bucket_case("o.created_at", 2, bounds.len()),
        side.cond("o")
    );
    buckets(db, &sql, partner, bounds).await
}

/// Seats bought and licenses assigned for one product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSeats {
    pub product_id: String,
    pub title: String,
    pub purchased: i64,
    pub assigned: i64,
}

/// Per product: active seats, and licenses assigned on them. A customer's licenses of a SKU
/// count at most up to the seats bought through this partner, so a customer served by two
/// resellers never shows one reseller more use than it sold.
pub async fn seat_use(db: &Db, of: SeatsOf, limit: u32) -> Result<Vec<ProductSeats>, sqlx::Error> {
    let (cond, org) = of.cond();
    let sql = format!(
        "SELECT k.product_id, COALESCE(pr.title, k.product_id) AS title, \
           CAST(SUM(k.qty) AS BIGINT) AS purchased, \
           CAST(SUM(CASE WHEN k.used < k.qty THEN k.used ELSE k.qty END) AS BIGINT) AS assigned \
         FROM (SELECT s.customer_tenant_id, s.product_id, s.sku_id, SUM(s.quantity) AS qty, \
             (SELECT COUNT(*) FROM license_assignments l WHERE l.customer_tenant_id = s.customer_tenant_id \
                AND l.product_id = s.product_id AND l.sku_id = s.sku_id) AS used \
           FROM subscriptions s WHERE {cond} AND s.status = 'active' \
           GROUP BY s.customer_tenant_id, s.product_id, s.sku_id) k \
         LEFT JOIN products pr ON pr.id = k.product_id \
         GROUP BY k.product_id, pr.title ORDER BY purchased DESC, k.product_id LIMIT {limit}"
    );
    let rows = sqlx::query(&sql)
        .bind(org.to_string())
        .fetch_all(&db.read)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ProductSeats {
                product_id: r.try_get("product_id")?,
                title: r.try_get("title")?,
                purchased: r.try_get("purchased")?,
                assigned: r.try_get("assigned")?,
            })
        })
        .collect()
}

/// A provider's invitation that names the reseller and waits for its answer.
#[derive(Debug, Clone)]
pub struct NamedInvitation {
    pub provider: String,
    pub expires_at: i64,
}

/// What waits on a partner: each figure reads one index range of the partner's own rows.
#[derive(Debug, Clone, Default)]
pub struct PartnerWaiting {
    /// Pending, unexpired partnership invitations naming this reseller.
    pub invitations_received: Vec<NamedInvitation>,
    /// Pending, unexpired partnership invitations this provider sent.
    pub invitations_sent: i64,
    /// Relationship requests this reseller sent that no customer has answered yet.
    pub customers_awaiting: i64,
    /// Delegated-admin grants of this partner ending within the warning window.
    pub grants_expiring: i64,
    /// Service requests assigned to this partner and not closed.
    pub open_requests: i64,
}

/// `link_max_age` bounds how long a link can stay pending (the longest a link lives), so
/// only recent rows are read; `grant_horizon` is where "expiring soon" ends.
pub async fn partner_waiting(
    db: &Db,
    partner: TenantId,
    now: i64,
    grant_horizon: i64,
    link_max_age: i64,
) -> Result<PartnerWaiting, sqlx::Error> {
    let since = now - link_max_age;
    // Everything in one statement: the invitations received as one JSON array, each figure a
    // scalar subquery over its own index range.
    let received = db
        .backend
        .json_rows("p.display_name, p.expires_at, p.id", "p.expires_at, p.id");
    let sql = format!(
        "SELECT (SELECT {received} FROM (SELECT t.display_name, i.expires_at, i.id \
           FROM partnership_invitations i JOIN tenants t ON t.id = i.provider_tenant_id \
           WHERE i.reseller_tenant_id = $1 AND i.state = 'pending' AND i.expires_at > $3 \
           ORDER BY i.expires_at, i.id LIMIT 10) p) AS received, \
         CAST((SELECT COUNT(*) FROM partnership_invitations WHERE provider_tenant_id = $1 \
               AND created_at > $2 AND state = 'pending' AND expires_at > $3) AS BIGINT) AS sent, \
         CAST((SELECT COUNT(*) FROM customer_invitations WHERE reseller_tenant_id = $1 \
               AND created_at > $2 AND state = 'pending' AND expires_at > $3) AS BIGINT) AS awaiting, \
         CAST((SELECT COUNT(*) FROM admin_grants WHERE partner_tenant_id = $1 AND status = 'active' \
               AND expires_at > $3 AND expires_at <= $4) AS BIGINT) AS expiring, \
         CAST((SELECT COUNT(*) FROM service_requests WHERE assignee_tenant = $1 \
               AND status <> 'closed') AS BIGINT) AS open_requests"
    );
    let counts = sqlx::query(&sql)
        .bind(partner.to_string())
        .bind(since)
        .bind(now)
        .bind(grant_horizon)
        .fetch_one(&db.read)
        .await?;
    let received: Option<String> = counts.try_get("received")?;
    let mut received: Vec<(String, i64, String)> = match received {
        Some(text) => serde_json::from_str(&text).map_err(|e| bad_column("received", e))?,
        None => Vec::new(),
    };
    if !db.backend.json_rows_ordered() {
        // Soonest to expire first.
        received.sort_by(|a, b| (a.1, &a.2).cmp(&(b.1, &b.2)));
    }
    let received = received
        .into_iter()
        .map(|(provider, expires_at, _)| NamedInvitation {
            provider,
            expires_at,
        })
        .collect();
    Ok(PartnerWaiting {
        invitations_received: received,
        invitations_sent: counts.try_get("sent")?,
        customers_awaiting: counts.try_get("awaiting")?,
        grants_expiring: counts.try_get("expiring")?,
        // The partial index holds open requests only.
        open_requests: counts.try_get("open_requests")?,
    })
}

/// The oldest application waiting for a decision.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub id: String,
    pub organisation: String,
    pub since: i64,
}

/// The operator's review queue: applications under review per age bucket (over `bounds`),
/// the oldest of them, and decisions made since `month_start` (authorized, rejected).
pub struct Queue {
    pub ages: Vec<(i64, i64)>,
    pub oldest: Option<Waiting>,
    pub authorized: i64,
    pub rejected: i64,
}

pub async fn review_queue(db: &Db, bounds: &[i64], month_start: i64) -> Result<Queue, sqlx::Error> {
    let sql = format!(
        "SELECT b, CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT {} AS b FROM enrollments \
         WHERE status = 'under_review') x GROUP BY b",
        bucket_case("updated_at", 1, bounds.len())
    );
    let mut q = sqlx::query(&sql);
    for b in bounds {
        q = q.bind(*b);
    }
    let ages = q
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("b")?, r.try_get("n")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let oldest = sqlx::query(
        "SELECT e.id, e.updated_at, t.display_name FROM enrollments e JOIN tenants t ON t.id = e.tenant_id \
         WHERE e.status = 'under_review' ORDER BY e.updated_at, e.id LIMIT 1",
    )
    .fetch_optional(&db.read)
    .await?
    .map(|r| {
        Ok::<_, sqlx::Error>(Waiting {
            id: r.try_get("id")?,
            organisation: r.try_get("display_name")?,
            since: r.try_get("updated_at")?,
        })
    })
    .transpose()?;
    // A decided application changes no more, or later: its last change is at or after the
    // decision, so the (status, updated_at) index bounds the range.
    let decided = sqlx::query(
        "SELECT status, CAST(COUNT(*) AS BIGINT) AS n FROM enrollments \
         WHERE status IN ('authorized', 'rejected') AND updated_at >= $1 AND decided_at >= $1 GROUP BY status",
    )
    .bind(month_start)
    .fetch_all(&db.read)
    .await?;
    let mut queue = Queue {
        ages,
        oldest,
        authorized: 0,
        rejected: 0,
    };
    for r in &decided {
        let n: i64 = r.try_get("n")?;
        match r.try_get::<String, _>("status")?.as_str() {
            "authorized" => queue.authorized = n,
            _ => queue.rejected = n,
        }
    }
    Ok(queue)
}

/// A partner serving the customer, for the customer's dashboard.
#[derive(Debug, Clone)]
pub struct ServingPartner {
    pub partner: TenantId,
    pub name: String,
    pub is_provider: bool,
    pub since: i64,
}

/// The customer's active partners, by name.
pub async fn serving(db: &Db, customer: TenantId) -> Result<Vec<ServingPartner>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.partner_tenant_id, r.created_at, t.display_name, p.is_provider \
         FROM customer_relationships r JOIN tenants t ON t.id = r.partner_tenant_id \
         LEFT JOIN partners p ON p.tenant_id = r.partner_tenant_id \
         WHERE r.customer_tenant_id = $1 AND r.state = 'active' ORDER BY t.display_name LIMIT 50",
    )
    .bind(customer.to_string())
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ServingPartner {
                partner: id_col(r, "partner_tenant_id")?,
                name: r.try_get("display_name")?,
                is_provider: r.try_get::<Option<i64>, _>("is_provider")?.unwrap_or(0) != 0,
                since: r.try_get("created_at")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_test_the_latest_bound_first() {
        assert_eq!(
            bucket_case("x", 2, 3),
            "CAST(CASE WHEN x >= $4 THEN 2 WHEN x >= $3 THEN 1 WHEN x >= $2 THEN 0 ELSE -1 END AS BIGINT)"
        );
        assert_eq!(
            Side::Both.cond("o"),
            "(o.reseller_tenant_id = $1 OR o.provider_tenant_id = $1)"
        );
    }
}
