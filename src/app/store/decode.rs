//! Reading columns without panics: every store decodes its rows through these, so a bad id,
//! an unknown state word or a corrupt JSON column is a `sqlx::Error` the caller reports,
//! never a panic and never a silent default.

use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::str::FromStr;

/// The decode error for a column holding a value the code does not know.
pub(crate) fn bad_column(col: &str, why: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.to_string(),
        source: format!("unexpected value: {why}").into(),
    }
}

/// A text column that must parse into `T` (a typed id, a state word, a decimal).
pub(crate) fn parsed<T: FromStr>(r: &AnyRow, col: &str) -> Result<T, sqlx::Error> {
    let raw: String = r.try_get(col)?;
    raw.parse().map_err(|_| bad_column(col, format!("{raw:?}")))
}

/// The same for a nullable column: NULL is `None`, a value that does not parse is an error.
pub(crate) fn parsed_opt<T: FromStr>(r: &AnyRow, col: &str) -> Result<Option<T>, sqlx::Error> {
    let raw: Option<String> = r.try_get(col)?;
    raw.map(|v| v.parse().map_err(|_| bad_column(col, format!("{v:?}"))))
        .transpose()
}

/// A JSON text column; corrupt JSON (or JSON of another shape) is an error.
pub(crate) fn json<T: DeserializeOwned>(r: &AnyRow, col: &str) -> Result<T, sqlx::Error> {
    let raw: String = r.try_get(col)?;
    serde_json::from_str(&raw).map_err(|e| bad_column(col, e))
}

/// An integer flag column (0 or 1 on both engines).
pub(crate) fn flag(r: &AnyRow, col: &str) -> Result<bool, sqlx::Error> {
    Ok(r.try_get::<i64, _>(col)? != 0)
}

/// A nullable integer flag column; NULL (an outer join that found nothing) is false.
pub(crate) fn flag_opt(r: &AnyRow, col: &str) -> Result<bool, sqlx::Error> {
    Ok(r.try_get::<Option<i64>, _>(col)?.unwrap_or(0) != 0)
}

/// A word column read with the type's own `parse` (for enums without `FromStr`).
pub(crate) fn word<T>(
    r: &AnyRow,
    col: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    let raw: String = r.try_get(col)?;
    parse(&raw).ok_or_else(|| bad_column(col, format!("{raw:?}")))
}

/// A comma-separated list of words that must each parse (grant roles, for example).
pub(crate) fn word_list<T>(
    r: &AnyRow,
    col: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, sqlx::Error> {
    let raw: String = r.try_get(col)?;
    split_words(col, &raw, parse)
}

/// Words of a comma-separated text read from `col` (a column or an aggregate of one); an
/// unknown word is an error, never dropped.
pub(crate) fn split_words<T>(
    col: &str,
    raw: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, sqlx::Error> {
    raw.split(',')
        .filter(|w| !w.is_empty())
        .map(|w| parse(w).ok_or_else(|| bad_column(col, format!("{w:?}"))))
        .collect()
}

/// Serialises a value for a JSON column (values the code builds always serialise; a failure
/// is an encode error, not a panic).
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(v).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Decodes every row with `f`, stopping at the first bad one.
pub(crate) fn all<T>(
    rows: &[AnyRow],
    f: impl Fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, sqlx::Error> {
    rows.iter().map(f).collect()
}
