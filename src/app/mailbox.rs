//! The captured-mail viewer: mail the built-in capture kept instead of sending. The operator
//! reads it; anyone does when the server runs with a public viewer (the demo).

use super::App;
use crate::app::store::mailbox;
pub use crate::app::store::mailbox::CapturedMail;
use crate::domain::authz::{can, Action, Actor, Resource};
use crate::domain::{Error, Result};

/// Whether `viewer` (none when signed out) may read captured mail.
fn allowed(app: &App, viewer: Option<&Actor>) -> Result<()> {
    if app.config.mail_viewer_public {
        return Ok(());
    }
    match viewer {
        None => Err(Error::Unauthenticated(
            "sign in to read captured mail".into(),
        )),
        Some(a) if can(a, Action::ReadCapturedMail, Resource::Platform).allowed() => Ok(()),
        Some(_) => Err(Error::Forbidden(
            "you do not have permission to do this".into(),
        )),
    }
}

/// A page of the captured mail, newest first before `before` (the last mail shown: its
/// time and id), optionally only to one address, and how many there are.
pub async fn list(
    app: &App,
    viewer: Option<&Actor>,
    to: Option<&str>,
    before: Option<(i64, &str)>,
    limit: u32,
) -> Result<(Vec<CapturedMail>, i64)> {
    allowed(app, viewer)?;
    let rows = mailbox::page(&app.db, to, before, i64::from(limit)).await?;
    Ok((rows, mailbox::count(&app.db, to).await?))
}

/// One captured mail.
pub async fn get(app: &App, viewer: Option<&Actor>, id: &str) -> Result<CapturedMail> {
    allowed(app, viewer)?;
    mailbox::get(&app.db, id)
        .await?
        .ok_or(Error::NotFound("mail"))
}
