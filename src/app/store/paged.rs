//! A list's page and the total its `totalCount` shows, read by one statement.
//!
//! Read by two statements, a row committed between them (by another request or a worker)
//! made one response count an item it did not list, or list one it did not count. Here the
//! total is an uncorrelated scalar subquery over the page's own `FROM ... WHERE`, placed in
//! the page's select list: both engines evaluate it once, inside the statement's snapshot.

use super::decode::all;
use crate::domain::ids::TenantId;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Row};

/// A value for one numbered parameter.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<TenantId> for Arg {
    fn from(v: TenantId) -> Self {
        Arg::Text(v.to_string())
    }
}

/// A page size as a parameter.
impl From<u32> for Arg {
    fn from(v: u32) -> Self {
        Arg::Int(v as i64)
    }
}

fn bind<'q, 'a>(
    mut q: Query<'q, Any, AnyArguments<'q>>,
    args: impl Iterator<Item = &'a Arg>,
) -> Query<'q, Any, AnyArguments<'q>> {
    for a in args {
        q = match a {
            Arg::Text(v) => q.bind(v.clone()),
            Arg::Int(v) => q.bind(*v),
        };
    }
    q
}

/// A collection: every row its total counts, and what a page of it shows.
pub(crate) struct Listing<'a> {
    /// The columns of a page row.
    pub select: &'a str,
    /// `FROM ... WHERE ...` naming every row of the collection; its parameters are `$1..$n`,
    /// bound from `filter` in that order. The total's subquery repeats it word for word
    /// (its aliases shadow the outer ones), so page and total cannot filter differently.
    pub from: &'a str,
    pub filter: Vec<Arg>,
}

/// Which part of a collection a page is.
pub(crate) struct Seek<'a> {
    /// The keyset condition (` AND ...`, or nothing), `ORDER BY` and `LIMIT`; its
    /// parameters continue after the filter's (`$n+1..`).
    pub sql: &'a str,
    pub args: Vec<Arg>,
    /// Whether the page continues an earlier one (a continuation was given).
    pub continues: bool,
}

impl Listing<'_> {
    /// One page of the collection, decoded by `decode`, and how many rows the collection has,
    /// both as of one snapshot.
    pub async fn page<T>(
        &self,
        pool: &AnyPool,
        seek: Seek<'_>,
        decode: impl Fn(&AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<(Vec<T>, i64), sqlx::Error> {
        let sql = format!(
            "SELECT {}, (SELECT COUNT(*) {}) AS total_count {} {}",
            self.select, self.from, self.from, seek.sql
        );
        let rows = bind(sqlx::query(&sql), self.filter.iter().chain(&seek.args))
            .fetch_all(pool)
            .await?;
        let total = match rows.first() {
            Some(r) => r.try_get("total_count")?,
            // A first page that lists nothing saw an empty collection in its snapshot.
            None if !seek.continues => 0,
            // Past the last page: nothing listed that the total must agree with.
            None => self.total(pool).await?,
        };
        Ok((all(&rows, decode)?, total))
    }

    async fn total(&self, pool: &AnyPool) -> Result<i64, sqlx::Error> {
        let sql = format!("SELECT COUNT(*) AS total_count {}", self.from);
        bind(sqlx::query(&sql), self.filter.iter())
            .fetch_one(pool)
            .await?
            .try_get("total_count")
    }
}
