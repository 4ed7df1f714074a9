//! Second-factor guards: guesses per account in a window (taken before a code is checked, so
//! concurrent guesses cannot overrun the limit), the last accepted TOTP time step (a code
//! works once), and hashed single-use recovery codes.

use super::{Db, Tx};
use crate::domain::ids::UserId;
use sqlx::Row;

/// Takes one guess from the account's allowance. Returns the number of guesses in the window
/// including this one; the caller refuses the guess when it is over the limit. One statement,
/// so two nodes or two connections cannot both take the last guess.
pub async fn take_guess(
    db: &Db,
    user: UserId,
    now: i64,
    window_ms: i64,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO mfa_guards (user_id, window_start, guesses, last_step) VALUES ($1, $2, 1, 0) \
         ON CONFLICT (user_id) DO UPDATE SET \
         guesses = CASE WHEN $2 - mfa_guards.window_start >= $3 THEN 1 ELSE mfa_guards.guesses + 1 END, \
         window_start = CASE WHEN $2 - mfa_guards.window_start >= $3 THEN $2 ELSE mfa_guards.window_start END \
         RETURNING guesses, window_start",
    )
    .bind(user.to_string())
    .bind(now)
    .bind(window_ms)
    .fetch_one(&db.write)
    .await?;
    row.try_get("guesses")
}

/// When the window of the account's guesses started (for `Retry-After`).
pub async fn window_start(db: &Db, user: UserId) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT window_start FROM mfa_guards WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_optional(&db.read)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("window_start")?,
        None => 0,
    })
}

/// Gives back the guess a correct code took: only wrong guesses use up the allowance.
pub async fn refund_guess(db: &Db, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mfa_guards SET guesses = guesses - 1 WHERE user_id = $1 AND guesses > 0")
        .bind(user.to_string())
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Records `step` as used if it is later than every step used before; false when the step
/// (or a later one) was already used, i.e. the code is a replay.
pub async fn use_step(db: &Db, user: UserId, step: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO mfa_guards (user_id, window_start, guesses, last_step) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (user_id) DO UPDATE SET last_step = $3 WHERE mfa_guards.last_step < $3",
    )
    .bind(user.to_string())
    .bind(now)
    .bind(step)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The same as [`use_step`] inside a transaction (TOTP set-up consumes its code).
pub async fn use_step_in_tx(
    tx: &mut Tx,
    user: UserId,
    step: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO mfa_guards (user_id, window_start, guesses, last_step) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (user_id) DO UPDATE SET last_step = $3 WHERE mfa_guards.last_step < $3",
    )
    .bind(user.to_string())
    .bind(now)
    .bind(step)
    .execute(tx.conn().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the user's recovery codes with new ones (hashes only).
pub async fn replace_recovery_codes(
    tx: &mut Tx,
    user: UserId,
    hashes: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user.to_string())
        .execute(tx.conn().await?)
        .await?;
    for h in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user.to_string())
        .bind(h)
        .bind(now)
        .execute(tx.conn().await?)
        .await?;
    }
    Ok(())
}

/// Spends a recovery code: true once per code, by a conditional update.
pub async fn spend_recovery_code(
    db: &Db,
    user: UserId,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user.to_string())
    .bind(hash)
    .execute(&db.write)
    .await?;
    Ok(done.rows_affected() == 1)
}
