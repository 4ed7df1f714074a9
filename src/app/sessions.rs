//! Portal sessions: ending one and remembering its language. The session is identified by the
//! hash of its cookie token, which only its holder can present.

use super::App;
use crate::domain::authz::Actor;
use crate::domain::Result;

/// Ends the session (sign-out, or before a new session replaces it).
pub async fn end(app: &App, token_hash: &str) -> Result<()> {
    crate::app::store::sessions::delete(&app.db, token_hash).await?;
    Ok(())
}

/// Remembers the language the visitor picked for the rest of the session.
pub async fn set_language(app: &App, token_hash: &str, lang: &str) -> Result<()> {
    crate::app::store::sessions::set_language(&app.db, token_hash, lang).await?;
    Ok(())
}

pub use crate::app::store::identity::UserRow;
pub use crate::app::store::sessions::SessionRow;

/// Stores a new session.
pub async fn start(app: &App, row: &SessionRow, now: i64) -> Result<()> {
    crate::app::store::sessions::insert(&app.db, row, now).await?;
    Ok(())
}

/// Stores an anonymous visitor's session unless it is stored already.
pub async fn keep(app: &App, row: &SessionRow, now: i64) -> Result<()> {
    crate::app::store::sessions::insert_if_absent(&app.db, row, now).await?;
    Ok(())
}

/// A page of the visitor's own customer list to read with the session (`app::seen`): `limit`
/// rows after a (lower-cased name, id).
#[derive(Debug, Clone)]
pub struct ListAsk {
    pub after: Option<(String, String)>,
    pub limit: u32,
}

/// The live session with this token hash and, when it is signed in past its second step and
/// its user is still active, the visitor as the caller with whether two-step set-up is due:
/// one statement for both, as the portal asks on every page. With `list`, that statement
/// also reads the page of the visitor's organisation's customers, kept for the request
/// (unless list pages come from a replica: the session is read on the primary).
pub async fn find_with_visitor(
    app: &App,
    token_hash: &str,
    now: i64,
    list: Option<&ListAsk>,
) -> Result<Option<(SessionRow, Option<(Actor, UserRow, bool)>)>> {
    let list = list.filter(|_| app.db.lists_on_primary());
    let rider = list.map(|l| crate::app::store::sessions::ListRider {
        after: l.after.as_ref().map(|(k, i)| (k.as_str(), i.as_str())),
        limit: l.limit,
    });
    let found =
        crate::app::store::sessions::get_with_actor(&app.db, token_hash, now, rider).await?;
    Ok(found.map(|(session, rows, page)| {
        let visitor = rows.and_then(super::identity::visitor);
        if let (Some((actor, ..)), Some((rows, total)), Some(l)) = (&visitor, page, list) {
            super::seen::remember_list(super::seen::ListSeen {
                partner: actor.tenant,
                after: l.after.clone(),
                limit: l.limit,
                rows,
                named: true,
                total,
            });
        }
        (session, visitor)
    }))
}

/// Marks the session used now (for the idle timeout).
pub async fn touch(app: &App, token_hash: &str, now: i64) -> Result<()> {
    crate::app::store::sessions::touch(&app.db, token_hash, now).await?;
    Ok(())
}
