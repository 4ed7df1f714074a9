//! Where a keyset page starts, as the read use cases take it: the last item's sort key and
//! id from a verified continuation token (`None` for the first page). Lists newest first by
//! time carry the time in milliseconds as the key.

use crate::domain::{Error, Result};

/// The position after which a page continues: (sort key, id) of the last item served.
pub type Position<'a> = Option<(&'a str, &'a str)>;

/// A position this list cannot have issued (the token is signed, so only a token of an
/// older shape gets here): the client starts again from the first page.
pub fn bad_position() -> Error {
    Error::field(
        "MS-ContinuationToken",
        "the continuation token is not valid for this request; start again from the first page",
    )
}

/// A position whose key is a time in milliseconds.
pub fn timed(after: Position<'_>) -> Result<Option<(i64, &str)>> {
    after
        .map(|(k, id)| {
            k.parse::<i64>()
                .map(|t| (t, id))
                .map_err(|_| bad_position())
        })
        .transpose()
}

/// A position whose id is a number (a line number).
pub fn numbered(after: Position<'_>) -> Result<Option<i64>> {
    after
        .map(|(_, id)| id.parse::<i64>().map_err(|_| bad_position()))
        .transpose()
}
