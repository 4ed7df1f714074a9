//! Schema parity: the SQLite and PostgreSQL migrations must build the same schema — the same
//! tables, columns (type family and nullability), explicitly created indexes (name, columns,
//! uniqueness) and triggers — apart from the differences listed in `DELIBERATE`, each with its
//! reason.
//!
//! With PostgreSQL (`PARTNERHUB_TEST_DATABASE_URL`, as `scripts/with-postgres.sh` sets) both
//! engines are migrated fresh and compared in full. Without it, the migrated SQLite schema is
//! compared with the names the PostgreSQL migration files create (tables, indexes, triggers):
//! a weaker check, and the test says so on stderr.

use partnerhub::app::store::Db;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// Differences kept on purpose: (what, name, reason). `what` is `table`, `column`
/// (`table.column`), `index` or `trigger`.
const DELIBERATE: &[(&str, &str, &str)] = &[
    // SQLite triggers fire for one event and carry their body inline, so customer counts need
    // one trigger per event; PostgreSQL keeps one trigger over a PL/pgSQL function for all three.
    (
        "trigger",
        "customer_counts_on_insert",
        "one SQLite trigger per event",
    ),
    (
        "trigger",
        "customer_counts_on_update",
        "one SQLite trigger per event",
    ),
    (
        "trigger",
        "customer_counts_on_delete",
        "one SQLite trigger per event",
    ),
    (
        "trigger",
        "customer_counts_track",
        "PostgreSQL's one trigger for all three events",
    ),
];

fn deliberate(what: &str, name: &str) -> bool {
    DELIBERATE.iter().any(|(w, n, _)| *w == what && *n == name)
}

#[derive(Debug, Default)]
struct Schema {
    tables: BTreeSet<String>,
    /// `table.column` -> (type family, nullable).
    columns: BTreeMap<String, (&'static str, bool)>,
    /// name -> (table, columns, unique). Only indexes a migration creates by name.
    indexes: BTreeMap<String, (String, Vec<String>, bool)>,
    /// `table.trigger`.
    triggers: BTreeSet<String>,
}

/// A declared or reported column type, folded into the few families both engines share.
fn family(raw: &str) -> &'static str {
    let t = raw.to_ascii_lowercase();
    if t.contains("json") {
        "json"
    } else if t.contains("bool") {
        "bool"
    } else if t.contains("int") || t == "serial" || t == "bigserial" {
        "integer"
    } else if t.contains("char")
        || t.contains("text")
        || t.contains("clob")
        || t == "uuid"
        || t == "name"
    {
        "text"
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") || t == "numeric" {
        "real"
    } else if t.contains("blob") || t == "bytea" || t.is_empty() {
        "blob"
    } else {
        "other"
    }
}

async fn migrated(url: &str) -> Db {
    let db = Db::connect(url, 2).await.expect("connect");
    db.migrate().await.expect("migrate");
    db
}

async fn sqlite_schema(db: &Db) -> Schema {
    let mut s = Schema::default();
    let tables = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&db.read)
    .await
    .unwrap();
    for t in tables {
        let table: String = t.get("name");
        let cols =
            sqlx::query("SELECT name, type, \"notnull\" AS nn, pk FROM pragma_table_info($1)")
                .bind(&table)
                .fetch_all(&db.read)
                .await
                .unwrap();
        for c in cols {
            let name: String = c.get("name");
            let ty: String = c.get("type");
            // SQLite reports primary-key columns as nullable; PostgreSQL makes them NOT NULL.
            let nullable = c.get::<i64, _>("nn") == 0 && c.get::<i64, _>("pk") == 0;
            s.columns
                .insert(format!("{table}.{name}"), (family(&ty), nullable));
        }
        let indexes =
            sqlx::query("SELECT name, \"unique\" AS u, origin FROM pragma_index_list($1)")
                .bind(&table)
                .fetch_all(&db.read)
                .await
                .unwrap();
        for i in indexes {
            if i.get::<String, _>("origin") != "c" {
                continue; // made by a PRIMARY KEY or UNIQUE constraint, not by name
            }
            let name: String = i.get("name");
            let cols = sqlx::query(
                "SELECT COALESCE(name, '<expr>') AS name FROM pragma_index_info($1) ORDER BY seqno",
            )
            .bind(&name)
            .fetch_all(&db.read)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("name"))
            .collect();
            s.indexes
                .insert(name, (table.clone(), cols, i.get::<i64, _>("u") != 0));
        }
        s.tables.insert(table);
    }
    let triggers = sqlx::query("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        .fetch_all(&db.read)
        .await
        .unwrap();
    for t in triggers {
        s.triggers.insert(format!(
            "{}.{}",
            t.get::<String, _>("tbl_name"),
            t.get::<String, _>("name")
        ));
    }
    s
}

async fn postgres_schema(db: &Db) -> Schema {
    let mut s = Schema::default();
    for r in sqlx::query(
        "SELECT table_name::text AS t FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&db.read)
    .await
    .unwrap()
    {
        s.tables.insert(r.get("t"));
    }
    for r in sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, \
         is_nullable::text AS n FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .fetch_all(&db.read)
    .await
    .unwrap()
    {
        let key = format!("{}.{}", r.get::<String, _>("t"), r.get::<String, _>("c"));
        let ty: String = r.get("ty");
        s.columns
            .insert(key, (family(&ty), r.get::<String, _>("n") == "YES"));
    }
    // Indexes a migration created by name: not those backing a primary key, unique or
    // exclusion constraint (SQLite's equivalents are its automatic indexes).
    for r in sqlx::query(
        "SELECT i.relname::text AS name, t.relname::text AS tbl, \
           CASE WHEN ix.indisunique THEN 1 ELSE 0 END AS uniq, \
           (SELECT string_agg(COALESCE(a.attname::text, '<expr>'), ',' ORDER BY k.ord) \
              FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
              LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
           WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u', 'x'))",
    )
    .fetch_all(&db.read)
    .await
    .unwrap()
    {
        let cols: String = r.get("cols");
        s.indexes.insert(
            r.get("name"),
            (
                r.get("tbl"),
                cols.split(',').map(str::to_string).collect(),
                r.get::<i32, _>("uniq") != 0,
            ),
        );
    }
    for r in sqlx::query(
        "SELECT DISTINCT event_object_table::text AS tbl, trigger_name::text AS name \
         FROM information_schema.triggers WHERE trigger_schema = 'public'",
    )
    .fetch_all(&db.read)
    .await
    .unwrap()
    {
        s.triggers.insert(format!(
            "{}.{}",
            r.get::<String, _>("tbl"),
            r.get::<String, _>("name")
        ));
    }
    s
}

/// Every difference between the two schemas that `DELIBERATE` does not list.
fn drift(lite: &Schema, pg: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for t in lite.tables.symmetric_difference(&pg.tables) {
        if !deliberate("table", t) {
            out.push(format!(
                "table {t}: only in {}",
                side(lite.tables.contains(t))
            ));
        }
    }
    let names: BTreeSet<_> = lite.columns.keys().chain(pg.columns.keys()).collect();
    for c in names {
        let table = c.split('.').next().unwrap_or_default();
        if deliberate("column", c) || deliberate("table", table) {
            continue;
        }
        match (lite.columns.get(c), pg.columns.get(c)) {
            (Some(a), Some(b)) if a != b => {
                out.push(format!("column {c}: SQLite {a:?}, PostgreSQL {b:?}"))
            }
            (Some(_), None) | (None, Some(_)) => out.push(format!(
                "column {c}: only in {}",
                side(lite.columns.contains_key(c))
            )),
            _ => {}
        }
    }
    let names: BTreeSet<_> = lite.indexes.keys().chain(pg.indexes.keys()).collect();
    for i in names {
        if deliberate("index", i) {
            continue;
        }
        match (lite.indexes.get(i), pg.indexes.get(i)) {
            (Some(a), Some(b)) if a != b => {
                out.push(format!("index {i}: SQLite {a:?}, PostgreSQL {b:?}"))
            }
            (Some(_), None) | (None, Some(_)) => out.push(format!(
                "index {i}: only in {}",
                side(lite.indexes.contains_key(i))
            )),
            _ => {}
        }
    }
    for t in lite.triggers.symmetric_difference(&pg.triggers) {
        let name = t.split('.').nth(1).unwrap_or_default();
        if !deliberate("trigger", name) {
            out.push(format!(
                "trigger {t}: only in {}",
                side(lite.triggers.contains(t))
            ));
        }
    }
    out
}

fn side(in_sqlite: bool) -> &'static str {
    if in_sqlite {
        "SQLite"
    } else {
        "PostgreSQL"
    }
}

/// The table, index and trigger names the PostgreSQL migration files leave behind (created,
/// and not dropped later), read from the files themselves.
fn postgres_file_names() -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let (mut tables, mut indexes, mut triggers) = Default::default();
    for f in files {
        let text: String = std::fs::read_to_string(&f)
            .unwrap()
            .lines()
            .map(|l| l.split("--").next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
            .filter(|w| !w.is_empty())
            .collect();
        for (i, w) in words.iter().enumerate() {
            let (create, rest) = match *w {
                "create" => (true, &words[i + 1..]),
                "drop" => (false, &words[i + 1..]),
                _ => continue,
            };
            let rest: Vec<&str> = rest
                .iter()
                .copied()
                .filter(|w| !matches!(*w, "unique" | "or" | "replace" | "if" | "not" | "exists"))
                .collect();
            let set: &mut BTreeSet<String> = match rest.first() {
                Some(&"table") => &mut tables,
                Some(&"index") => &mut indexes,
                Some(&"trigger") => &mut triggers,
                _ => continue,
            };
            let Some(name) = rest.get(1) else { continue };
            let name = name.trim_matches('"').to_string();
            if create {
                set.insert(name);
            } else {
                set.remove(&name);
            }
        }
    }
    (tables, indexes, triggers)
}

#[tokio::test]
async fn sqlite_and_postgresql_migrations_build_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let lite = migrated(&format!("sqlite:{}/parity.db", dir.path().display())).await;
    let lite = sqlite_schema(&lite).await;
    assert!(
        lite.tables.contains("audit_records") && lite.indexes.len() > 10,
        "introspection found the schema: {:?}",
        lite.tables
    );
    let problems = match std::env::var("PARTNERHUB_TEST_DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => {
            let pg_url = crate::support::fresh_database_url(&dir).await;
            let pg = postgres_schema(&migrated(&pg_url).await).await;
            assert!(pg.tables.contains("audit_records"), "{:?}", pg.tables);
            drift(&lite, &pg)
        }
        _ => {
            eprintln!(
                "schema_parity: no PostgreSQL (scripts/with-postgres.sh sets one); comparing \
                 SQLite with the names in migrations/postgres only"
            );
            let (tables, indexes, triggers) = postgres_file_names();
            let from_files = Schema {
                tables: tables
                    .into_iter()
                    .chain(["_sqlx_migrations".to_string()])
                    .collect(),
                ..Default::default()
            };
            let lite_indexes: BTreeSet<String> = lite.indexes.keys().cloned().collect();
            let lite_triggers: BTreeSet<String> = lite
                .triggers
                .iter()
                .map(|t| t.split('.').nth(1).unwrap_or_default().to_string())
                .collect();
            let mut out: Vec<String> = lite
                .tables
                .symmetric_difference(&from_files.tables)
                .filter(|t| !deliberate("table", t))
                .map(|t| format!("table {t}: only in {}", side(lite.tables.contains(t))))
                .collect();
            out.extend(
                lite_indexes
                    .symmetric_difference(&indexes)
                    .filter(|i| !deliberate("index", i))
                    .map(|i| format!("index {i}: only in {}", side(lite_indexes.contains(i)))),
            );
            out.extend(
                lite_triggers
                    .symmetric_difference(&triggers)
                    .filter(|t| !deliberate("trigger", t))
                    .map(|t| format!("trigger {t}: only in {}", side(lite_triggers.contains(t)))),
            );
            out
        }
    };
    assert!(
        problems.is_empty(),
        "schema drift between the engines:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn type_families_fold_both_engines_spellings() {
    for (a, b) in [
        ("TEXT", "text"),
        ("BIGINT", "bigint"),
        ("INTEGER", "integer"),
        ("BLOB", "bytea"),
        ("REAL", "double precision"),
        ("TEXT", "character varying"),
    ] {
        assert_eq!(family(a), family(b), "{a} vs {b}");
    }
    assert_ne!(family("TEXT"), family("BIGINT"));
    assert_ne!(family("BLOB"), family("text"));
    // A drifted column is reported; a listed one would not be.
    let mut lite = Schema::default();
    let mut pg = Schema::default();
    lite.columns.insert("t.c".into(), ("integer", false));
    pg.columns.insert("t.c".into(), ("text", false));
    assert_eq!(drift(&lite, &pg).len(), 1);
}
