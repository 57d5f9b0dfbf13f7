//! Verification rows that count wrong tries (one-time codes, a sign-in's second-factor
//! challenge): the value is `<payload>:<tries>`. A try is taken by one update that must find
//! fewer tries than allowed, so racing tries never get more guesses than allowed; a row out of
//! tries or past its expiry is removed when met.

use crate::storage::{query_one, returned_text, Row, Sql, Statement, StorageError};
use crate::time::{parse_iso, Millis};

/// What taking a try found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    Missing,
    Expired,
    /// No tries left: the row is gone.
    Exhausted,
    /// A try was taken; the row's payload.
    Payload(String),
}

/// The value of a new row: its payload, no tries yet.
pub fn fresh(payload: &str) -> String {
    format!("{payload}:0")
}

pub fn remove(identifier: &str) -> Statement {
    Statement::new(
        r#"delete from "verification" where "identifier" = ?1"#,
        vec![identifier.into()],
    )
}

/// Takes one try of the newest row under `identifier`.
pub async fn take(
    sql: &dyn Sql,
    identifier: &str,
    allowed: i64,
    now: Millis,
) -> Result<Taken, StorageError> {
    let row: Option<Row> = query_one(
        sql,
        Statement::new(
            r#"select "expiresAt" from "verification" where "identifier" = ?1 order by "createdAt" desc limit 1"#,
            vec![identifier.into()],
        ),
    )
    .await?;
    let Some(row) = row else {
        return Ok(Taken::Missing);
    };
    let expires = row
        .get("expiresAt")
        .and_then(|v| v.as_str())
        .and_then(parse_iso)
        .unwrap_or(0);
    if expires <= now {
        sql.execute(remove(identifier)).await?;
        return Ok(Taken::Expired);
    }
    // The tries are the digits after the last colon: `rtrim` leaves the payload and its colon.
    let taken = sql
        .run_batch(vec![Statement::new(
            r#"update "verification" set "value" = rtrim("value", '0123456789') || (cast(substr("value", length(rtrim("value", '0123456789')) + 1) as integer) + 1)
               where "identifier" = ?1 and cast(substr("value", length(rtrim("value", '0123456789')) + 1) as integer) < ?2 returning "value""#,
            vec![identifier.into(), allowed.into()],
        )])
        .await?;
    match returned_text(taken.first(), "value").into_iter().next() {
        Some(value) => Ok(Taken::Payload(
            value
                .rsplit_once(':')
                .map(|(payload, _)| payload.to_string())
                .unwrap_or_default(),
        )),
        None => {
            sql.execute(remove(identifier)).await?;
            Ok(Taken::Exhausted)
        }
    }
}

/// Gives back the try just taken (a check that did not count, such as a right code not spent).
pub fn give_back(identifier: &str) -> Statement {
    Statement::new(
        r#"update "verification" set "value" = rtrim("value", '0123456789') || max(cast(substr("value", length(rtrim("value", '0123456789')) + 1) as integer) - 1, 0)
           where "identifier" = ?1"#,
        vec![identifier.into()],
    )
}
