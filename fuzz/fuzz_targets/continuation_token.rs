//! Continuation tokens come from clients: decoding any string must refuse or give back a
//! cursor, never panic; a cursor the server signed must come back unchanged, and only for
//! its own query.
#![no_main]

use libfuzzer_sys::fuzz_target;
use partnerhub::domain::paging::{decode, encode, Cursor};

const KEY: &[u8] = b"fuzzing key, fixed so the fuzzer cannot know it matters";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Whatever a client sends.
    let _ = decode(&text, KEY, "q");
    // Round trip of a cursor built from the input.
    let mut parts = text.splitn(3, '\u{0}');
    let cursor = Cursor {
        key: parts.next().unwrap_or_default().to_string(),
        id: parts.next().unwrap_or_default().to_string(),
        query: parts.next().unwrap_or_default().to_string(),
    };
    let token = encode(&cursor, KEY);
    if token.len() <= 2048 {
        assert_eq!(decode(&token, KEY, &cursor.query), Ok(cursor.clone()));
    }
    let other = format!("{}x", cursor.query);
    assert!(
        decode(&token, KEY, &other).is_err(),
        "a token works only for its query"
    );
    assert!(
        decode(&token, b"another key", &cursor.query).is_err(),
        "forged key accepted"
    );
});
