//! Who proves a second factor: a signed-in user, or a password sign-in waiting for one
//! (better-auth's `two_factor` cookie). The signed cookie carries `2fa-<20>`; D1 keeps only its
//! digest, with the user and the tries taken, for `TWO_FACTOR_COOKIE_MAX_AGE`. TOTP and backup
//! codes get five tries per challenge; the challenge is spent by the session it ends in.

use super::store::{self, Factors};
use super::trust;
use crate::crypto::{random, sha256_hex};
use crate::error::{ApiError, Code};
use crate::features::verification::store as verifications;
use crate::features::verification::tries::{self, Taken};
use crate::kernel::context::Ctx;
use crate::kernel::cookies::{DONT_REMEMBER, SESSION_DATA, SESSION_TOKEN};
use crate::kernel::response::Reply;
use crate::session::{ActiveSession, Source};
use crate::storage::users::{self, User};
use crate::storage::{query_one, returned_text, Row, Statement};
use crate::time::{to_iso, SECOND};
use serde_json::json;

pub const COOKIE: &str = "two_factor";
const TRIES: i64 = 5;

fn identifier(cookie_value: &str) -> String {
    format!("two-factor:{}", sha256_hex(cookie_value.as_bytes()))
}

fn invalid_cookie() -> ApiError {
    ApiError::new(401, Code::InvalidTwoFactorCookie)
}

/// Who is proving a second factor.
pub enum Prover {
    /// A signed-in user, setting a factor up or checking one.
    Session(Box<ActiveSession>),
    /// A password sign-in's challenge (its row's identifier) for `user`.
    SignIn { identifier: String, user: Box<User> },
}

impl Prover {
    pub fn user(&self) -> &User {
        match self {
            Prover::Session(session) => &session.user,
            Prover::SignIn { user, .. } => user,
        }
    }

    pub fn is_sign_in(&self) -> bool {
        matches!(self, Prover::SignIn { .. })
    }

    /// What an emailed code is bound to: the challenge, or the session.
    pub fn key(&self) -> String {
        match self {
            Prover::Session(session) => format!("{}!{}", session.user.id, session.record.id),
            Prover::SignIn { identifier, .. } => identifier.clone(),
        }
    }
}

/// Instead of a session, a password sign-in of a user with a second factor gets a challenge:
/// the cookie, and better-auth's `{"twoFactorRedirect": true, "twoFactorMethods": [...]}`.
pub async fn begin(ctx: &mut Ctx<'_>, user: &User, remember: bool) -> Result<Reply, ApiError> {
    let value = format!("2fa-{}", random::alphanumeric(20)?);
    let max_age = ctx.config.two_factor.challenge_max_age;
    let sql = ctx.drivers.sql.as_ref();
    sql.execute(verifications::insert_unbound(
        &random::alphanumeric(32)?,
        &identifier(&value),
        &tries::fresh(&user.id),
        &to_iso(ctx.now + max_age * SECOND),
        &to_iso(ctx.now),
    ))
    .await?;
    let factors = store::find(sql, &user.id).await?;
    ctx.set_signed_cookie(COOKIE, &value, Some(max_age));
    ctx.expire_cookie(SESSION_TOKEN);
    ctx.expire_cookie(SESSION_DATA);
    if !remember {
        // Read back when the challenge ends in a session.
        ctx.set_signed_cookie(DONT_REMEMBER, "true", None);
    }
    let mut methods = Vec::new();
    if factors.as_ref().is_some_and(Factors::totp_ready) {
        methods.push("totp");
    }
    if ctx.config.two_factor.otp_enabled {
        methods.push("otp");
    }
    Ok(Reply::json(
        json!({ "twoFactorRedirect": true, "twoFactorMethods": methods }),
    ))
}

/// The signed-in user (checked against D1), else the sign-in the challenge cookie names: 401
/// `INVALID_TWO_FACTOR_COOKIE` without either.
pub async fn prover(ctx: &Ctx<'_>) -> Result<Prover, ApiError> {
    if let Some(session) = ctx.session(Source::Durable).await? {
        return Ok(Prover::Session(Box::new(session)));
    }
    let value = ctx.signed_cookie(COOKIE).ok_or_else(invalid_cookie)?;
    let identifier = identifier(&value);
    let sql = ctx.drivers.sql.as_ref();
    let row: Option<Row> = query_one(
        sql,
        Statement::new(
            r#"select "value" from "verification" where "identifier" = ?1 and "expiresAt" > ?2 limit 1"#,
            vec![identifier.as_str().into(), to_iso(ctx.now).into()],
        ),
    )
    .await?;
    let user_id = row
        .as_ref()
        .and_then(|r| r.get("value"))
        .and_then(|v| v.as_str())
        .and_then(|v| v.rsplit_once(':'))
        .map(|(user_id, _)| user_id.to_string())
        .ok_or_else(invalid_cookie)?;
    let user = users::find_by_id(sql, &user_id)
        .await?
        .ok_or_else(invalid_cookie)?;
    Ok(Prover::SignIn {
        identifier,
        user: Box::new(user),
    })
}

/// Takes one of the challenge's tries (none for a signed-in user): out of tries, the challenge
/// is gone and the answer is 400 `TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE`.
pub async fn take_try(ctx: &mut Ctx<'_>, prover: &Prover) -> Result<(), ApiError> {
    let Prover::SignIn { identifier, .. } = prover else {
        return Ok(());
    };
    match tries::take(ctx.drivers.sql.as_ref(), identifier, TRIES, ctx.now).await? {
        Taken::Payload(_) => Ok(()),
        Taken::Exhausted => {
            ctx.expire_cookie(COOKIE);
            Err(ApiError::new(400, Code::TooManyAttemptsRequestNewCode))
        }
        Taken::Missing | Taken::Expired => {
            ctx.expire_cookie(COOKIE);
            Err(invalid_cookie())
        }
    }
}

/// better-auth's answer to a proven second factor: a sign-in's challenge is spent for a new
/// session (and the device trusted, with `trust`); a signed-in user keeps the session.
pub async fn finish(ctx: &mut Ctx<'_>, prover: Prover, trust: bool) -> Result<Reply, ApiError> {
    let (identifier, user_id) = match prover {
        Prover::Session(session) => {
            return Ok(Reply::json(
                json!({ "token": session.token, "user": session.user }),
            ))
        }
        Prover::SignIn { identifier, user } => (identifier, user.id),
    };
    let sql = ctx.drivers.sql.as_ref();
    let spent = sql
        .run_batch(vec![verifications::take_live(
            &identifier,
            &to_iso(ctx.now),
        )])
        .await?;
    ctx.expire_cookie(COOKIE);
    let owner = returned_text(spent.first(), "value");
    let owned = owner
        .first()
        .and_then(|v| v.rsplit_once(':'))
        .is_some_and(|(owner, _)| owner == user_id);
    // The user as it is now: a ban or a deletion since the password counts.
    let user = match owned {
        true => users::find_by_id(sql, &user_id).await?,
        false => None,
    };
    let Some(user) = user else {
        return Err(invalid_cookie());
    };
    let remember = !ctx.has_dont_remember();
    let session = ctx
        .sessions()
        .create(&user, remember, ctx.client_ip(), ctx.user_agent(), ctx.now)
        .await?;
    ctx.set_session_cookie(&session.token, remember);
    if trust {
        let row = trust::remember(ctx, &user.id)?;
        ctx.drivers.sql.execute(row).await?;
    }
    Ok(Reply::json(json!({ "token": session.token, "user": user })))
}
