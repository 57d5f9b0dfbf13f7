//! Bans (better-auth's admin plugin): a banned user opens no session, whatever the way in; a ban
//! whose time has passed is lifted when the user next signs in.

use crate::config::Config;
use crate::error::{ApiError, Code};
use crate::storage::users::{self, User};
use crate::storage::Statement;
use crate::time::{parse_iso, to_iso, Millis};

/// better-auth's answer to a banned user: 403 `BANNED_USER` with the configured message.
pub fn banned(config: &Config) -> ApiError {
    ApiError::with_message(403, Code::BannedUser, config.admin.banned_message.clone())
}

/// Whether `user` may open a session at `now`: the statement that lifts an expired ban (to run
/// before the session's insert), nothing for a user without a ban, `BANNED_USER` otherwise.
pub fn admit(config: &Config, user: &User, now: Millis) -> Result<Option<Statement>, ApiError> {
    if !user.banned {
        return Ok(None);
    }
    let expired = user
        .ban_expires
        .as_deref()
        .and_then(parse_iso)
        .is_some_and(|until| until <= now);
    if expired {
        Ok(Some(users::lift_ban(&user.id, &to_iso(now))))
    } else {
        Err(banned(config))
    }
}
