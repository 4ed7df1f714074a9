//! The schema migrations, embedded in the binary: `build.rs` lists the files of
//! `migrations/<engine>/`, and each becomes a migration exactly as sqlx reads a migrations
//! directory (`<version>_<description>.sql`, the description with spaces for underscores,
//! the checksum over the file's text), so databases migrated by earlier builds validate.
//! Done here instead of with sqlx's `migrate!` macro, whose proc-macro build compiled sqlx
//! and both engines' drivers a second time.

use super::Backend;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

mod files {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// The migrations of one engine: file names and texts.
#[derive(Debug)]
struct Embedded(&'static [(&'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move {
            let mut all = self
                .0
                .iter()
                .map(|(name, sql)| migration(name, sql))
                .collect::<Result<Vec<_>, _>>()?;
            all.sort_by_key(|m| m.version);
            Ok(all)
        })
    }
}

/// One migration from its file name and text.
fn migration(name: &str, sql: &'static str) -> Result<Migration, BoxDynError> {
    let (version, rest) = name
        .split_once('_')
        .filter(|(_, rest)| rest.ends_with(".sql"))
        .ok_or_else(|| format!("migration file {name:?}: expected <version>_<description>.sql"))?;
    let kind = MigrationType::from_filename(rest);
    let description = rest.trim_end_matches(kind.suffix()).replace('_', " ");
    Ok(Migration::new(
        version
            .parse()
            .map_err(|e| format!("migration file {name:?}: version: {e}"))?,
        Cow::Owned(description),
        kind,
        Cow::Borrowed(sql),
        sql.starts_with("-- no-transaction"),
    ))
}

/// The migrator of `backend`'s schema.
pub async fn migrator(backend: Backend) -> Result<Migrator, sqlx::migrate::MigrateError> {
    let files = match backend {
        Backend::Sqlite => files::SQLITE,
        Backend::Postgres => files::POSTGRES,
    };
    Migrator::new(Embedded(files)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded migrations are the ones sqlx reads from the directory (what its
    /// `migrate!` macro embedded before): same versions, descriptions, kinds, checksums and
    /// transaction choice, so a database migrated by an earlier build validates.
    #[tokio::test]
    async fn embedded_migrations_are_what_sqlx_reads_from_the_directory() {
        for (backend, dir) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let from_dir = Migrator::new(path.as_path()).await.unwrap();
            let embedded = migrator(backend).await.unwrap();
            let shape = |m: &Migrator| -> Vec<_> {
                m.iter()
                    .map(|x| {
                        (
                            x.version,
                            x.description.to_string(),
                            x.migration_type.suffix(),
                            x.checksum.to_vec(),
                            x.no_tx,
                        )
                    })
                    .collect()
            };
            // 21 files per engine when this was written; more come, none go.
            assert!(embedded.iter().count() >= 21, "{dir}: every file embedded");
            assert_eq!(shape(&embedded), shape(&from_dir), "{dir}");
        }
    }
}
