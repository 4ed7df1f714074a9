//! Operator-only reads of the platform itself.

use super::{App, Ctx};
pub use crate::app::store::mailbox::CapturedMail;
use crate::domain::authz::{Action, Resource};
use crate::domain::Result;

/// Mail kept by the built-in capture, newest first, at most `limit`, optionally to one address.
pub async fn captured_mail(
    app: &App,
    ctx: &Ctx,
    to: Option<&str>,
    limit: u32,
) -> Result<Vec<CapturedMail>> {
    ctx.require(Action::ReadCapturedMail, Resource::Platform)?;
    Ok(crate::app::store::mailbox::list(&app.db, to, limit as i64).await?)
}
