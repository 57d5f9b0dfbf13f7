//! Deliberate failures for the end-to-end suite's test build (`--features e2e-faults`, never
//! deployed), under `/__faults/`:
//! - `GET panic` panics in the middle of a request, as a bug in a handler would;
//! - `GET d1-error` runs a query D1 refuses and answers as any endpoint would (the real error
//!   mapping);
//! - `POST forget-session-row?token=` deletes a session's D1 row and leaves its KV entry, as a
//!   revocation in another location does;
//! - `GET kv?key=` tells whether KV holds a key.

use crate::drivers::Drivers;
use crate::error::ApiError;
use crate::kernel::response::{error_response, json_response, Response};
use crate::session::store as sessions;
use crate::storage::Statement;

pub async fn handle(req: &http::Request<Vec<u8>>, drivers: &Drivers) -> Option<Response> {
    let path = req.uri().path().strip_prefix("/__faults/")?;
    let query: Vec<(String, String)> = crate::kernel::request::query_pairs(req);
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    Some(match path {
        "panic" => panic!("deliberate panic from the e2e-faults build"),
        "d1-error" => {
            let failed = drivers
                .sql
                .query(Statement::new(r#"select * from "no_such_table""#, vec![]))
                .await;
            match failed {
                Ok(_) => json_response(200, &serde_json::json!({"unexpected": "success"})),
                Err(e) => error_response(&ApiError::from(e)),
            }
        }
        "forget-session-row" => {
            let digest = crate::session::digest(&param("token"));
            match drivers
                .sql
                .execute(sessions::delete_by_digest(&digest))
                .await
            {
                Ok(n) => json_response(200, &serde_json::json!({"deleted": n})),
                Err(e) => error_response(&ApiError::from(e)),
            }
        }
        "kv" => {
            let present = matches!(drivers.kv.get(&param("key")).await, Ok(Some(_)));
            json_response(200, &serde_json::json!({"present": present}))
        }
        _ => return None,
    })
}
