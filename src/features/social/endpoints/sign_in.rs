//! `POST /sign-in/social`: the authorization request for a redirect flow, or a sign-in with an ID
//! token the client obtained itself.

use super::{flow, from_id_token, named_provider, start};
use crate::error::{ApiError, Code};
use crate::features::social::linking::{self, Refusal};
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use serde_json::json;

pub async fn sign_in_social(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let provider_id = ctx.input.exact_text("provider").unwrap_or_default();
    let provider = named_provider(ctx, &provider_id).await?;
    let Some(given) = ctx.input.raw("idToken").cloned() else {
        let flow = flow(ctx, &provider_id);
        return start(ctx, &provider, flow).await;
    };
    let (profile, tokens) = from_id_token(ctx, &provider, &given).await?;
    let signed = match linking::sign_in(ctx, &provider_id, &profile, &tokens, "").await {
        Ok(signed) => signed,
        Err(Refusal::Api(e)) => return Err(e),
        Err(refusal) => {
            return Err(ApiError::with_message(
                401,
                Code::OauthLinkError,
                refusal.message(),
            ))
        }
    };
    ctx.set_session_cookie(&signed.session.token, true);
    Ok(Reply::json(json!({
        "redirect": false,
        "token": signed.session.token,
        "user": signed.user,
    })))
}
