//! The second factor: TOTP codes and recovery codes, checked in one place for the portal and
//! the token endpoint. Guesses are limited per account (not per session or address) and taken
//! before a code is looked at; a code works once; replacing a secret needs the current code.

use super::audit::{record, Change};
use super::{App, Ctx};
use crate::app::store::identity::{self as repo, UserRow};
use crate::app::store::mfa;
use crate::crypto;
use crate::domain::audit::Operation;
use crate::domain::ids::UserId;
use crate::domain::{Error, Result};

/// Wrong guesses allowed per account in [`GUESS_WINDOW_MS`], portal and API together.
pub const MAX_GUESSES: i64 = 50;
pub const GUESS_WINDOW_MS: i64 = 24 * 3_600_000;
/// How many recovery codes a set holds.
pub const RECOVERY_CODES: usize = 10;

/// The second sign-in step: `user` proved the password in this session (the session says so),
/// and now sends a code. Returns the user when the code is right, `None` when the user no
/// longer exists.
pub async fn verify_pending(app: &App, user: UserId, code: &str) -> Result<Option<UserRow>> {
    let Some(u) = repo::user(&app.db, user).await? else {
        return Ok(None);
    };
    verify(app, &u, code).await?;
    Ok(Some(u))
}

/// Checks a second-factor code (a TOTP code or an unused recovery code) for `user`.
///
/// The guess is counted before the code is compared, by one atomic statement, so neither
/// many sessions nor many nodes get more than [`MAX_GUESSES`] wrong guesses a day; a correct
/// code gives its guess back. The password throttle is neither used nor reset here.
pub async fn verify(app: &App, user: &UserRow, code: &str) -> Result<()> {
    let Some(secret) = user.totp_secret.as_deref() else {
        return Err(Error::Unauthenticated(
            "this account has no two-step verification".into(),
        ));
    };
    let now = app.clock.now_ms();
    let guesses = mfa::take_guess(&app.db, user.id, now, GUESS_WINDOW_MS).await?;
    if guesses > MAX_GUESSES {
        let start = mfa::window_start(&app.db, user.id).await?;
        metrics::counter!("partnerhub_mfa_locked_total").increment(1);
        return Err(Error::Throttled {
            retry_after_secs: ((start + GUESS_WINDOW_MS - now) / 1000).max(1) as u64,
        });
    }
    if code_matches(app, user.id, secret, code, now).await? {
        mfa::refund_guess(&app.db, user.id).await?;
        return Ok(());
    }
    metrics::counter!("partnerhub_mfa_failures_total").increment(1);
    Err(Error::Unauthenticated(
        "the verification code is not correct or was already used".into(),
    ))
}

async fn code_matches(
    app: &App,
    user: UserId,
    secret: &[u8],
    code: &str,
    now: i64,
) -> Result<bool> {
    let unix = (now / 1000).max(0) as u64;
    if let Some(step) = crypto::totp_step(secret, code, unix) {
        // A code seen before (or older than one seen) is a replay.
        return Ok(mfa::use_step(&app.db, user, step as i64, now).await?);
    }
    let normal = normalize_recovery(code);
    if normal.is_empty() {
        return Ok(false);
    }
    Ok(mfa::spend_recovery_code(&app.db, user, &crypto::token_hash(&normal), now).await?)
}

/// Recovery codes are compared without case, spaces or dashes.
fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(64)
        .collect()
}

fn new_recovery_code() -> String {
    let raw = crypto::base32(&crypto::random_bytes(10)).to_ascii_lowercase();
    format!("{}-{}", &raw[..8], &raw[8..16])
}

/// How the caller proves they may replace an existing TOTP secret.
pub enum Proof<'a> {
    /// A current code of the existing secret (or a recovery code).
    Code(&'a str),
    Nothing,
}

/// Whether turning two-step verification on for the first time also makes recovery codes.
/// The portal shows them on the answer; the API has its own operation for them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FirstCodes {
    Issue,
    Skip,
}

/// Turns on TOTP with `secret` once `code` proves the authenticator holds it. Replacing a
/// secret that is already on needs [`Proof`]: a stolen session or token alone cannot move
/// the second factor to the thief's device. On a first set-up with [`FirstCodes::Issue`] it
/// returns a set of recovery codes (stored hashed in the same transaction, shown this once).
pub async fn enable(
    app: &App,
    ctx: &Ctx,
    secret: &[u8],
    code: &str,
    proof: Proof<'_>,
    first_codes: FirstCodes,
) -> Result<Vec<String>> {
    let user_id = ctx
        .actor
        .user_id()
        .ok_or_else(|| Error::Forbidden("only users have two-step verification".into()))?;
    let current = repo::user(&app.db, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if current.totp_secret.is_some() {
        match proof {
            Proof::Code(c) => verify(app, &current, c).await.map_err(|e| match e {
                Error::Unauthenticated(_) => Error::field(
                    "currentCode",
                    "the code of the current authenticator is not correct",
                ),
                e => e,
            })?,
            Proof::Nothing => {
                return Err(Error::field(
                    "currentCode",
                    "two-step verification is on: give a code of the current authenticator \
                     (or sign in again) to replace it",
                ))
            }
        }
    }
    let now = app.clock.now();
    let Some(step) = crypto::totp_step(secret, code, now.timestamp().max(0) as u64) else {
        return Err(Error::field(
            "code",
            "the code does not match; check the time on your device",
        ));
    };
    let mut tx = app.db.begin().await?;
    let mut user = repo::user_in_tx(&mut tx, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    user.totp_secret = Some(secret.to_vec());
    if !repo::update_user(&mut tx, &user, user.version).await? {
        return Err(Error::PreconditionFailed);
    }
    // The confirming code is spent: it cannot sign in a second time.
    mfa::use_step_in_tx(&mut tx, user_id, step as i64, now.timestamp_millis()).await?;
    let first = current.totp_secret.is_none();
    let op = if first {
        Operation::EnableMfa
    } else {
        Operation::ReplaceMfa
    };
    audit(&mut tx, ctx, &user, op, now.timestamp_millis()).await?;
    let codes = if first && first_codes == FirstCodes::Issue {
        let (codes, hashes) = recovery_set();
        mfa::replace_recovery_codes(&mut tx, user_id, &hashes, now.timestamp_millis()).await?;
        audit(
            &mut tx,
            ctx,
            &user,
            Operation::NewRecoveryCodes,
            now.timestamp_millis(),
        )
        .await?;
        codes
    } else {
        Vec::new()
    };
    tx.commit().await?;
    Ok(codes)
}

/// A fresh set of recovery codes and the hashes that are stored in their place.
fn recovery_set() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes = codes
        .iter()
        .map(|c| crypto::token_hash(&normalize_recovery(c)))
        .collect();
    (codes, hashes)
}

/// Makes a new set of recovery codes (the old set stops working) and returns them: they are
/// shown this once and stored only as hashes. Needs a current code, like a secret change.
pub async fn new_recovery_codes(app: &App, ctx: &Ctx, code: &str) -> Result<Vec<String>> {
    let user_id = ctx
        .actor
        .user_id()
        .ok_or_else(|| Error::Forbidden("only users have two-step verification".into()))?;
    let user = repo::user(&app.db, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if user.totp_secret.is_none() {
        return Err(Error::conflict(
            "turn on two-step verification before asking for recovery codes",
        ));
    }
    verify(app, &user, code).await.map_err(|e| match e {
        Error::Unauthenticated(m) => Error::field("code", m),
        e => e,
    })?;
    let (codes, hashes) = recovery_set();
    let now = app.clock.now_ms();
    let mut tx = app.db.begin().await?;
    mfa::replace_recovery_codes(&mut tx, user_id, &hashes, now).await?;
    audit(&mut tx, ctx, &user, Operation::NewRecoveryCodes, now).await?;
    tx.commit().await?;
    Ok(codes)
}

async fn audit(
    tx: &mut crate::app::store::Tx,
    ctx: &Ctx,
    user: &UserRow,
    op: Operation,
    now: i64,
) -> Result<()> {
    record(
        tx,
        Some(ctx),
        &user.tenant_id.to_string(),
        Change {
            operation: op,
            resource_type: "user",
            resource_id: user.id.to_string(),
            old: None,
            new: None,
            customer_id: None,
        },
        now,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_compare_without_case_or_dashes() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 17);
        assert_eq!(
            normalize_recovery(&c.to_ascii_uppercase().replace('-', " ")),
            normalize_recovery(&c)
        );
        assert!(normalize_recovery("---").is_empty());
    }
}
