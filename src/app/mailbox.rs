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

/// The newest captured mail (at most `limit`), optionally only to one address.
pub async fn list(
    app: &App,
    viewer: Option<&Actor>,
    to: Option<&str>,
    limit: i64,
) -> Result<Vec<CapturedMail>> {
    allowed(app, viewer)?;
    Ok(mailbox::list(&app.db, to, limit).await?)
}

/// One captured mail.
pub async fn get(app: &App, viewer: Option<&Actor>, id: &str) -> Result<CapturedMail> {
    allowed(app, viewer)?;
    mailbox::get(&app.db, id)
        .await?
        .ok_or(Error::NotFound("mail"))
}
