//! Readiness: whether this node can serve (its database answers).

use super::App;

pub async fn ready(app: &App) -> bool {
    app.db.ping().await
}
