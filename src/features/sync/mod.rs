//! Keeping a downstream CMS (Payload) in sync with users: the durable outbox, its drain, the
//! reconcile, and the token-protected `/reconcile/*` endpoints (docs/sync-protocol.md).

pub mod drain;
mod endpoints;
pub mod outbox;
pub mod reconcile;

use crate::config::SyncConfig;
use crate::crypto::random::{self, RandomError};
use crate::error::ApiError;
use crate::kernel::context::Ctx;
use crate::net::outbound::OutboundRequest;
use crate::net::signed_request::{signed_post_to, Signer};
use crate::storage::Statement;
use crate::time::Millis;

/// A POST of `body` to `path` below the sync receiver's URL (which may have a path of its own),
/// signed with every configured secret.
pub fn signed_post(
    sync: &SyncConfig,
    path: &str,
    id: &str,
    body: Vec<u8>,
    now: Millis,
) -> Result<OutboundRequest, RandomError> {
    let signer = Signer {
        secrets: sync.secrets(),
        key_id: &sync.key_id,
    };
    let mut request = signed_post_to(&signer, &format!("{}{path}", sync.url), id, body, now)?;
    if sync.protocol >= 2 {
        request
            .headers
            .push((PROTOCOL_HEADER, sync.protocol.to_string()));
    }
    Ok(request)
}

/// The protocol version a request speaks, from 2 on (protocol 1 requests carry no such header).
pub const PROTOCOL_HEADER: &str = "x-ba-sync-protocol";

/// What a user change means for the downstream copy.
pub enum SyncChange {
    Upsert,
    Delete,
}

/// The outbox statements for a change to `user_id`, to run in the change's own batch (none when
/// sync is not configured); the user's sync is first attempted right after the response.
pub fn record(
    ctx: &mut Ctx<'_>,
    user_id: &str,
    change: SyncChange,
) -> Result<Vec<Statement>, ApiError> {
    if ctx.config.sync.is_none() {
        return Ok(Vec::new());
    }
    let event_id = format!("evt_{}", random::alphanumeric(24)?);
    ctx.synced_users.push(user_id.to_string());
    Ok(match change {
        SyncChange::Upsert => outbox::record_change(user_id, &event_id, ctx.now),
        SyncChange::Delete => outbox::record_delete(user_id, &event_id, ctx.now),
    })
}

use crate::error::Code;
use crate::handler;
use crate::kernel::catalogue::{
    Answer, Body, Endpoint, Feature, Field, Kind, Prop, Requires, Shape,
};
use crate::rate_limit::Rule;

const OK: Shape = Shape::Object(&[Prop::req("ok", Shape::True)]);

/// An operator endpoint. The token is a credential: guesses are limited like passwords.
const fn operator(endpoint: Endpoint) -> Endpoint {
    Endpoint {
        requires: Requires::OperatorToken,
        rate: Some(Rule::CREDENTIALS),
        ..endpoint
    }
}

pub const FEATURE: Feature = Feature {
    migrations: &["0003_sync_outbox.sql", "0006_sync_outbox_changed_at.sql"],
    credential: None,
    name: "Sync and reconcile",
    about: "The operator's view of the downstream sync (payload-better-auth's shapes). Needs `x-reconcile-token` (`RECONCILE_TOKEN`); off while that or `PAYLOAD_SYNC_URL` is unset.",
    schemas: &[],
    endpoints: &[
        operator(Endpoint {
            summary: "The outbox, the reconcile in progress and the last errors",
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("queueSize", Shape::Integer),
                Prop::req("userOperationTasks", Shape::Integer),
                Prop::req("fullReconcileTasks", Shape::Integer),
                Prop::req("processing", Shape::Boolean),
                Prop::req("reconciling", Shape::Boolean),
                Prop::req("processed", Shape::Integer),
                Prop::req("failed", Shape::Integer),
                Prop::req("lastError", Shape::Nullable(&Shape::String)),
                Prop::req("lastSeedAt", Shape::Nullable(&Shape::Integer)),
                Prop::req("deadTasks", Shape::Integer),
                Prop::req("pendingDeletions", Shape::Integer),
                Prop::req("receiverOnlyUsers", Shape::Nullable(&Shape::Integer)),
                Prop::req("lastErrors", Shape::Map(&Shape::Nullable(&Shape::String))),
                Prop::req("oldestPendingAgeMs", Shape::Nullable(&Shape::Integer)),
                Prop::req("lastDrainAt", Shape::Nullable(&Shape::Integer)),
            ]))],
            ..Endpoint::get("/reconcile/status", "reconcileStatus", handler!(endpoints::status))
        }),
        operator(Endpoint {
            summary: "Start a full reconcile; the cron advances it",
            answers: &[Answer::json(Shape::Object(&[
                Prop::req("ok", Shape::True),
                Prop::req("reconcileId", Shape::String),
            ]))],
            ..Endpoint::post("/reconcile/run", "reconcileRun", handler!(endpoints::run))
        }),
        operator(Endpoint {
            summary: "Queue an upsert of one user at the receiver, from portcullis' own data",
            body: Body::OptionalObject(&[Field::optional("user", Kind::Object, "`{\"id\": …}`: the user to send")]),
            answers: &[Answer::json(OK)],
            errors: &[(404, Code::UserNotFound)],
            ..Endpoint::post("/reconcile/ensure", "reconcileEnsure", handler!(endpoints::ensure))
        }),
        operator(Endpoint {
            summary: "Queue the deletion of one user at the receiver",
            body: Body::OptionalObject(&[Field::optional("baId", Kind::String, "The user's id")]),
            answers: &[Answer::json(OK)],
            ..Endpoint::post("/reconcile/delete", "reconcileDelete", handler!(endpoints::delete))
        }),
    ],
};
