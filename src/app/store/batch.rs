//! Write statements that run together in one trip to the engine.
//!
//! Each statement sent through sqlx costs a trip: on SQLite a message to the connection's
//! own thread and back (two wake-ups), on PostgreSQL a round trip to the server. A use case
//! that writes ten rows whose results it does not read pays ten trips while it holds the
//! writer. A [`Batch`] gathers such statements with their values and sends them as one:
//! on SQLite as one script (the driver runs every statement of a script on its thread
//! before answering), on PostgreSQL as one statement whose parts are data-modifying `WITH`
//! clauses (every part runs, to completion, in that one statement; foreign keys are
//! checked at its end, so a child row may sit beside its parent).
//!
//! Rules for what goes in: statements whose result is not read (no `RETURNING`, no
//! affected-row count), that do not depend on one another's effects beyond foreign keys
//! (PostgreSQL runs the parts of one statement against one snapshot), and that do not
//! modify the same row twice. Each statement is written with its own `$1..$n`; the batch
//! renumbers them. The first failing statement fails the whole batch, inside the caller's
//! transaction, which then rolls back whole.

use super::{Backend, Ending, Tx};
use futures::TryStreamExt;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, Arguments, Either, Encode, Executor, Type};

/// A statement whose rows are wanted, run after a batch's writes in the same trip
/// ([`Batch::fetch`]). Written with its own `$1..$n`, like a batch's statements.
pub struct Read {
    sql: String,
    values: Vec<Value>,
}

/// A value of a [`Read`]: kept by value so that it binds into one script on SQLite or into
/// the read's own statement on PostgreSQL.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Int(i64),
}

impl Read {
    pub fn new(sql: impl Into<String>) -> Read {
        Read {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// The statement, for a look at its plan.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Binds the next value as text.
    pub fn text(mut self, v: impl Into<String>) -> Read {
        self.values.push(Value::Text(v.into()));
        self
    }

    /// Binds the next value as an integer.
    pub fn int(mut self, v: i64) -> Read {
        self.values.push(Value::Int(v));
        self
    }

    fn bind_into(&self, args: &mut AnyArguments<'_>) -> Result<(), sqlx::Error> {
        for v in &self.values {
            match v {
                Value::Text(s) => args.add(s.clone()),
                Value::Int(i) => args.add(*i),
            }
            .map_err(|e| sqlx::Error::Protocol(format!("a read's value: {e}")))?;
        }
        Ok(())
    }
}

/// Statements and their values, to run in one trip with [`Batch::run`].
#[derive(Default)]
pub struct Batch<'q> {
    parts: Vec<String>,
    args: AnyArguments<'q>,
    /// Values the statements added so far take, and values bound so far.
    wanted: usize,
    bound: usize,
    error: Option<String>,
}

impl<'q> Batch<'q> {
    pub fn new() -> Batch<'q> {
        Batch::default()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Adds a statement written with `$1..$n`; bind its `n` values next, in order.
    pub fn add(&mut self, sql: &str) -> &mut Batch<'q> {
        self.check_arity();
        let (renumbered, n) = renumber(sql, self.wanted);
        self.parts.push(renumbered);
        self.wanted += n;
        self
    }

    /// Binds the next value of the statement added last.
    pub fn bind<T>(&mut self, value: T) -> &mut Batch<'q>
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        if let Err(e) = self.args.add(value) {
            self.error
                .get_or_insert(format!("value {}: {e}", self.bound + 1));
        }
        self.bound += 1;
        self
    }

    /// Runs every statement in `tx`, in one trip (on SQLite with the transaction's `BEGIN`
    /// when nothing was sent before). An error fails the whole batch (and the caller should
    /// drop the transaction, which rolls back).
    pub async fn run(self, tx: &mut Tx) -> Result<(), sqlx::Error> {
        let Some((sql, args)) = self.ready(tx.backend)? else {
            return Ok(());
        };
        let sql = tx.opening(&sql);
        sqlx::query_with(&sql, args)
            .execute(tx.conn().await?)
            .await?;
        Ok(())
    }

    /// Runs every statement in `tx` and commits it. On SQLite that is one trip, with the
    /// `BEGIN` too when nothing was sent before: a transaction whose only statements are a
    /// batch is one trip to the writer. Its end is the release of the transaction's savepoint
    /// in the writer's group, whose commit it then waits for; a transaction that began the
    /// group and ends with nobody waiting to join sends its `COMMIT` in the same trip. On
    /// PostgreSQL the `COMMIT` is a trip of its own. On error nothing is committed, and `tx`
    /// is dropped (rolled back).
    pub async fn commit(self, mut tx: Tx) -> Result<(), sqlx::Error> {
        if tx.backend == Backend::Postgres {
            self.run(&mut tx).await?;
            return tx.commit().await;
        }
        let Some((sql, args)) = self.ready(tx.backend)? else {
            return tx.commit().await;
        };
        let sql = tx.opening(&sql);
        let sql = match tx.ending() {
            Ending::Alone => {
                return tx
                    .commit_alone(&format!("{sql};\nCOMMIT"), Some(args))
                    .await
            }
            Ending::Member("") => sql,
            Ending::Member(end) => format!("{sql};\n{end}"),
        };
        sqlx::query_with(&sql, args)
            .execute(tx.conn().await?)
            .await?;
        tx.ended();
        tx.finish().await
    }

    /// Runs the batch's statements and then `reads`, in that order, in `tx`, and returns the
    /// rows of each read. On SQLite that is one trip (with the transaction's `BEGIN` when
    /// nothing was sent before), so a use case that writes, locks and counts holds the writer
    /// for one wake-up instead of one per statement; on PostgreSQL the writes are one
    /// statement and each read is its own (a read there would not see the writes of the
    /// statement it shared). An error fails the whole trip.
    pub async fn fetch(self, tx: &mut Tx, reads: &[Read]) -> Result<Vec<Vec<AnyRow>>, sqlx::Error> {
        if tx.backend == Backend::Postgres {
            self.run(tx).await?;
            let mut out = Vec::with_capacity(reads.len());
            for r in reads {
                let mut args = AnyArguments::default();
                r.bind_into(&mut args)?;
                out.push(
                    sqlx::query_with(&r.sql, args)
                        .fetch_all(tx.conn().await?)
                        .await?,
                );
            }
            return Ok(out);
        }
        let mut offset = self.wanted;
        let (mut script, mut args) = self.ready(tx.backend)?.unwrap_or_default();
        for r in reads {
            let (sql, n) = renumber(&r.sql, offset);
            if n != r.values.len() {
                return Err(sqlx::Error::Protocol(format!(
                    "{} values bound where the read takes {n}: {}",
                    r.values.len(),
                    r.sql
                )));
            }
            offset += n;
            if !script.is_empty() {
                script.push_str(";\n");
            }
            script.push_str(&sql);
            r.bind_into(&mut args)?;
        }
        let sql = tx.opening(&script);
        // Each statement's rows come first, then its end: rows are told apart by how many
        // statements had ended before them.
        let mut ended = 0usize;
        let mut rows: Vec<(usize, AnyRow)> = Vec::new();
        let mut stream = tx.conn().await?.fetch_many(sqlx::query_with(&sql, args));
        while let Some(item) = stream.try_next().await? {
            match item {
                Either::Left(_) => ended += 1,
                Either::Right(row) => rows.push((ended, row)),
            }
        }
        let first_read = ended.checked_sub(reads.len()).ok_or_else(|| {
            sqlx::Error::Protocol("the trip ended fewer statements than it sent".into())
        })?;
        let mut out: Vec<Vec<AnyRow>> = reads.iter().map(|_| Vec::new()).collect();
        for (at, row) in rows {
            if let Some(read) = at.checked_sub(first_read).and_then(|i| out.get_mut(i)) {
                read.push(row);
            }
        }
        Ok(out)
    }

    /// The script and its values; `None` when there is nothing to run.
    fn ready(
        mut self,
        backend: Backend,
    ) -> Result<Option<(String, AnyArguments<'q>)>, sqlx::Error> {
        if self.parts.is_empty() {
            return Ok(None);
        }
        self.check_arity();
        if let Some(e) = self.error {
            return Err(sqlx::Error::Protocol(format!("a batched statement: {e}")));
        }
        Ok(Some((script(backend, &self.parts), self.args)))
    }

    /// Every statement so far must have had exactly its values bound: SQLite would take a
    /// missing one as NULL, and an extra one would shift every later statement's values.
    fn check_arity(&mut self) {
        if self.bound != self.wanted && self.error.is_none() {
            let last = self.parts.last().map(String::as_str).unwrap_or("");
            self.error = Some(format!(
                "{} values bound where the statements take {} (last statement: {last})",
                self.bound, self.wanted
            ));
        }
    }
}

/// The statements as the engine takes them in one trip.
fn script(backend: Backend, parts: &[String]) -> String {
    match backend {
        Backend::Sqlite => parts.join(";\n"),
        Backend::Postgres => {
            let (last, first) = parts.split_last().expect("a batch is not empty here");
            if first.is_empty() {
                return last.clone();
            }
            let clauses: Vec<String> = first
                .iter()
                .enumerate()
                .map(|(i, p)| format!("w{i} AS ({p})"))
                .collect();
            format!("WITH {} {last}", clauses.join(", "))
        }
    }
}

/// `sql` with every `$k` moved to `$(k + offset)`, and the highest `k` it names. The
/// statements are our own text: no `$` appears inside a quoted literal.
fn renumber(sql: &str, offset: usize) -> (String, usize) {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut highest = 0;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        let k: usize = after[..digits].parse().expect("digits parse");
        highest = highest.max(k);
        out.push('$');
        out.push_str(&(k + offset).to_string());
        rest = &after[digits..];
    }
    out.push_str(rest);
    (out, highest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_after_the_earlier_statements() {
        let (sql, n) = renumber("INSERT INTO t (a, b, c) VALUES ($1, $3, $2)", 4);
        assert_eq!(sql, "INSERT INTO t (a, b, c) VALUES ($5, $7, $6)");
        assert_eq!(n, 3);
        let (sql, n) = renumber("UPDATE t SET a = $10 WHERE b = $1 AND c = $10", 0);
        assert_eq!(sql, "UPDATE t SET a = $10 WHERE b = $1 AND c = $10");
        assert_eq!(n, 10);
        assert_eq!(
            renumber("DELETE FROM t", 9),
            ("DELETE FROM t".to_string(), 0)
        );
    }

    #[test]
    fn the_script_is_one_statement_per_engine() {
        let parts = vec![
            "INSERT INTO a VALUES ($1)".to_string(),
            "INSERT INTO b VALUES ($2)".into(),
        ];
        assert_eq!(
            script(Backend::Sqlite, &parts),
            "INSERT INTO a VALUES ($1);\nINSERT INTO b VALUES ($2)"
        );
        assert_eq!(
            script(Backend::Postgres, &parts),
            "WITH w0 AS (INSERT INTO a VALUES ($1)) INSERT INTO b VALUES ($2)"
        );
        assert_eq!(script(Backend::Postgres, &parts[..1]), parts[0]);
    }

    #[test]
    fn a_statement_bound_short_or_long_is_refused() {
        let mut b = Batch::new();
        b.add("INSERT INTO a VALUES ($1, $2)").bind(1i64);
        b.add("INSERT INTO b VALUES ($1)").bind(2i64);
        assert!(b
            .error
            .as_deref()
            .unwrap()
            .contains("1 values bound where the statements take 2"));
        let mut b = Batch::new();
        b.add("INSERT INTO a VALUES ($1)").bind(1i64).bind(2i64);
        b.check_arity();
        assert!(b.error.is_some());
    }
}
