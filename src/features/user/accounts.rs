//! `GET /list-accounts`: the user's linked accounts, without tokens or password.

use crate::error::ApiError;
use crate::kernel::context::Ctx;
use crate::kernel::response::Reply;
use crate::storage::accounts;
use serde_json::{json, Value};

pub async fn list_accounts(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let session = ctx.signed_in()?;
    let list: Vec<Value> = accounts::list_for_user(ctx.drivers.sql.as_ref(), &session.user.id)
        .await?
        .into_iter()
        .map(|a| {
            let scopes: Vec<&str> = a.scope.as_deref().map(|s| s.split(',').filter(|x| !x.is_empty()).collect()).unwrap_or_default();
            json!({
                "id": a.id, "providerId": a.provider_id, "accountId": a.account_id, "userId": a.user_id,
                "createdAt": a.created_at, "updatedAt": a.updated_at, "scopes": scopes,
            })
        })
        .collect();
    Ok(Reply::json(list))
}
