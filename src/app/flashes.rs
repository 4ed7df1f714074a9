//! Flash messages for the portal's post/redirect/get: an action leaves a short message (and
//! sometimes a one-time detail such as a new link or recovery codes) for the page its redirect
//! lands on. The browser holds a random token; the row is found by the token's hash and sealed
//! with a key derived from the token, so only that browser can read it, once, within minutes.

use super::App;
use crate::crypto;
use crate::domain::Result;
use base64::Engine;

/// How long a message waits for the page view that shows it.
const LIFETIME_MS: i64 = 5 * 60_000;

fn row_id(token: &str) -> String {
    crypto::sha256_hex(format!("portal-flash-id\n{token}").as_bytes())
}

fn key(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("portal-flash-key\n{token}").as_bytes()).into()
}

/// Keeps `body` for the next page view; returns the token the browser holds.
pub async fn keep(app: &App, body: &[u8]) -> Result<String> {
    let token = crypto::random_token(32);
    let id = row_id(&token);
    let sealed = crypto::seal(&key(&token), id.as_bytes(), body);
    let sealed = base64::engine::general_purpose::STANDARD.encode(sealed);
    let expires_at = app.clock.now_ms() + LIFETIME_MS;
    crate::app::store::flashes::insert(&app.db, &id, &sealed, expires_at).await?;
    Ok(token)
}

/// The body kept under `token`, removed as it is read; `None` when there is none (already
/// read, expired, or not ours).
pub async fn take(app: &App, token: &str) -> Result<Option<Vec<u8>>> {
    if token.is_empty() || token.len() > 64 {
        return Ok(None);
    }
    let id = row_id(token);
    let Some(sealed) = crate::app::store::flashes::take(&app.db, &id, app.clock.now_ms()).await?
    else {
        return Ok(None);
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(sealed) else {
        return Ok(None);
    };
    Ok(crypto::open(&key(token), id.as_bytes(), &bytes))
}

/// Housekeeping: messages nobody came back for.
pub async fn purge_expired(app: &App) -> Result<u64> {
    Ok(crate::app::store::flashes::delete_expired(&app.db, app.clock.now_ms()).await?)
}
