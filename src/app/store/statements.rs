//! Statement texts built once per shape. The statements every request runs (its caller,
//! with what rides on it) are long and assembled from parts; building one took several
//! `format!` calls per request. Their shapes are few (engine, what rides, a page size
//! within the API's bounds), so each text is built the first time and kept for the life of
//! the process.

use super::Backend;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// One statement shape: the engine, which statement, and a number that changes its text
/// (a page size; 0 when none does).
type Shape = (Backend, &'static str, u32);

/// The text of `shape`, built by `build` the first time it is asked for.
pub(crate) fn once(shape: Shape, build: impl FnOnce() -> String) -> &'static str {
    static TEXTS: OnceLock<Mutex<HashMap<Shape, &'static str>>> = OnceLock::new();
    let texts = TEXTS.get_or_init(Default::default);
    if let Some(text) = texts.lock().unwrap_or_else(|e| e.into_inner()).get(&shape) {
        return text;
    }
    // Built outside the lock; two first askers may both build it, one text is kept.
    let built = build();
    let mut texts = texts.lock().unwrap_or_else(|e| e.into_inner());
    texts
        .entry(shape)
        .or_insert_with(|| Box::leak(built.into_boxed_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_is_built_once_and_shapes_stay_apart() {
        let mut builds = 0;
        let a = once((Backend::Sqlite, "statements-test", 1), || {
            builds += 1;
            "one".to_string()
        });
        let b = once((Backend::Sqlite, "statements-test", 1), || {
            builds += 1;
            "again".to_string()
        });
        assert_eq!((a, b, builds), ("one", "one", 1));
        let c = once((Backend::Postgres, "statements-test", 1), || {
            "pg".to_string()
        });
        let d = once((Backend::Sqlite, "statements-test", 2), || {
            "two".to_string()
        });
        assert_eq!((c, d), ("pg", "two"));
    }
}
