//! Operator-only reads of the platform itself.

use super::{App, Ctx};
use crate::domain::authz::{Action, Resource};
use crate::domain::Result;
pub use crate::store::mailbox::CapturedMail;

/// Mail kept by the built-in capture, newest first, at most `limit`, optionally to one address.
pub async fn captured_mail(
    app: &App,
    ctx: &Ctx,
    to: Option<&str>,
    limit: u32,
) -> Result<Vec<CapturedMail>> {
    ctx.require(Action::ReadCapturedMail, Resource::Platform)?;
    Ok(crate::store::mailbox::list(&app.db, to, limit as i64).await?)
}
