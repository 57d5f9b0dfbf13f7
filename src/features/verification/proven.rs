//! Signing in by a proven mailbox (a magic link, an emailed code): the address's user, made for
//! a new address, or, when the address had never been verified, stripped of every other way in
//! (accounts and sessions) before it is marked verified, so that whoever registered the address
//! before its owner cannot keep a door open (better-auth's pre-hijack protection).

use crate::crypto::random;
use crate::error::ApiError;
use crate::features::sync::{self, SyncChange};
use crate::kernel::context::Ctx;
use crate::session::bans;
use crate::session::store as session_table;
use crate::storage::users::{self, User};
use crate::storage::{returned_text, Statement};
use crate::time::to_iso;

/// The user of `email`, ready for a session, and whether it was just made; `None` when the
/// address has no user and `sign_up` is off.
pub async fn user_for(
    ctx: &mut Ctx<'_>,
    email: &str,
    name: Option<&str>,
    sign_up: bool,
) -> Result<Option<(User, bool)>, ApiError> {
    let sql = ctx.drivers.sql.as_ref();
    let now_iso = to_iso(ctx.now);
    match users::find_by_email(sql, email).await? {
        Some(user) if user.email_verified => Ok(Some((user, false))),
        Some(mut user) => {
            bans::admit(ctx.config, &user, ctx.now)?;
            let mut batch = vec![
                session_table::delete_for_user(&user.id),
                Statement::new(
                    r#"delete from "account" where "userId" = ?1"#,
                    vec![user.id.as_str().into()],
                ),
                users::mark_verified(&user.id, &now_iso),
            ];
            batch.extend(sync::record(ctx, &user.id, SyncChange::Upsert)?);
            let done = ctx.drivers.sql.run_batch(batch).await?;
            let revoked = returned_text(done.first(), session_table::RETURNED_DIGEST);
            ctx.sessions().forget_cached(&revoked).await?;
            user.email_verified = true;
            user.updated_at = now_iso;
            Ok(Some((user, false)))
        }
        None if !sign_up => Ok(None),
        None => {
            let user = User {
                id: random::alphanumeric(32)?,
                name: name.unwrap_or_default().to_string(),
                email: email.to_lowercase(),
                email_verified: true,
                created_at: now_iso.clone(),
                updated_at: now_iso,
                role: Some(ctx.config.admin.default_role.clone()),
                ..User::default()
            };
            let mut batch = vec![users::insert(&user)];
            batch.extend(sync::record(ctx, &user.id, SyncChange::Upsert)?);
            ctx.drivers.sql.batch(batch).await?;
            Ok(Some((user, true)))
        }
    }
}
