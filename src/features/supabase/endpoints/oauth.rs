//! Signing in with a social or OpenID provider (`GET /authorize`, PKCE: the browser comes back to
//! `redirect_to?code=`), redeeming that code (`grant_type=pkce`), and unlinking an identity.

use super::{nothing, redirect_to};
use crate::error::ApiError;
use crate::features::social;
use crate::features::supabase::answers::{error, validation};
use crate::features::supabase::tokens;
use crate::features::verification::hand_off::{self, Challenge, Redeemed};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::session::store as session_table;
use crate::storage::accounts;
use crate::storage::users;

/// `GET /authorize?provider=…&redirect_to=…&code_challenge=…&code_challenge_method=s256`: a 302
/// to the provider. Only the PKCE flow is served: a session never travels in a URL.
pub async fn authorize(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let provider = ctx
        .input
        .query("provider")
        .map(str::to_string)
        .ok_or_else(|| validation("Unsupported provider: missing provider"))?;
    let challenge = match (
        ctx.input.query("code_challenge"),
        ctx.input.query("code_challenge_method"),
    ) {
        (Some(c), Some(m)) => {
            Challenge::parse(c, m).ok_or_else(|| validation("Invalid code challenge"))?
        }
        _ => {
            return Err(validation(
                "The PKCE flow is required: create the client with auth: { flowType: 'pkce' }",
            ))
        }
    };
    let target = redirect_to(ctx)?.unwrap_or_else(|| ctx.config.base_origin.to_string());
    let url = social::begin_hand_off(ctx, &provider, target, challenge).await?;
    Ok(Reply::redirect(url))
}

/// `POST /token?grant_type=pkce` with `{auth_code, code_verifier}`.
pub async fn pkce_grant(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let (Some(code), Some(verifier)) =
        (ctx.input.text("auth_code"), ctx.input.text("code_verifier"))
    else {
        return Err(validation(
            "invalid request: both auth code and code verifier should be non-empty",
        ));
    };
    let not_found = || {
        error(
            404,
            "flow_state_not_found",
            "invalid flow state, no valid flow state found",
        )
    };
    let sql = ctx.drivers.sql.as_ref();
    let (session_id, method) = match hand_off::redeem(sql, &code, &verifier, ctx.now).await? {
        Redeemed::Session { session_id, method } => (session_id, method),
        Redeemed::Missing => return Err(not_found()),
        Redeemed::WrongVerifier => {
            return Err(error(
                400,
                "bad_code_verifier",
                "code challenge does not match previously saved code verifier",
            ))
        }
    };
    let record = session_table::find_by_id(sql, &session_id)
        .await?
        .ok_or_else(not_found)?;
    let user = users::find_by_id(sql, &record.user_id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Reply::json(
        tokens::open(ctx, &record, user, &method).await?,
    ))
}

/// `DELETE /user/identities/:id`: unlinks one of the user's accounts, never the last.
pub async fn unlink_identity(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let bearer = tokens::bearer(ctx).await?;
    let id = ctx.param(0).to_string();
    let sql = ctx.drivers.sql.as_ref();
    let owned = accounts::list_for_user(sql, &bearer.user.id).await?;
    if !owned.iter().any(|a| a.id == id) {
        return Err(error(422, "identity_not_found", "Identity doesn't exist"));
    }
    if owned.len() <= 1 {
        return Err(error(
            422,
            "single_identity_not_deletable",
            "User must have at least 1 identity after unlinking",
        ));
    }
    sql.execute(accounts::delete_owned(&bearer.user.id, &id, false))
        .await?;
    Ok(nothing())
}
