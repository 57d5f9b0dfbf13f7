//! `list-users`: better-auth's search, filter, sort and paging, as SQL joined from allow-listed
//! pieces (columns, operators, directions) with every value bound, and a `total` counted under the
//! same conditions.

use crate::error::ApiError;
use crate::storage::users;
use crate::storage::{Statement, Value};

/// The columns a request may filter or sort on: its name and the SQL that reads it.
const COLUMNS: &[(&str, &str)] = &[
    ("id", r#""id""#),
    ("name", r#""name""#),
    ("email", r#""email""#),
    ("emailVerified", r#"coalesce("emailVerified", 0)"#),
    ("image", r#""image""#),
    ("createdAt", r#""createdAt""#),
    ("updatedAt", r#""updatedAt""#),
    ("role", r#""role""#),
    ("banned", r#"coalesce("banned", 0)"#),
    ("banReason", r#""banReason""#),
    ("banExpires", r#""banExpires""#),
];

const BOOLEAN_COLUMNS: &[&str] = &["emailVerified", "banned"];

/// The most users one page holds, and the page size when none is asked.
pub const MAX_LIMIT: i64 = 1_000;
pub const DEFAULT_LIMIT: i64 = 100;

/// What a `list-users` request asks, as its query gives it.
#[derive(Debug, Default)]
pub struct Query {
    pub search_value: Option<String>,
    pub search_field: Option<String>,
    pub search_operator: Option<String>,
    pub filter_field: Option<String>,
    pub filter_values: Vec<String>,
    pub filter_operator: Option<String>,
    pub sort_by: Option<String>,
    pub sort_direction: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// The page's statement, the count's statement, and the limit and offset the answer repeats.
pub struct Planned {
    pub page: Statement,
    pub total: Statement,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

fn refused(field: &str, problem: &str) -> ApiError {
    ApiError::validation(format!("[query.{field}] {problem}"))
}

fn column(field: &str, name: &str) -> Result<&'static str, ApiError> {
    COLUMNS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, sql)| *sql)
        .ok_or_else(|| refused(field, &format!("Unknown field \"{name}\"")))
}

/// `value` for a LIKE pattern: `%`, `_` and the escape character match themselves.
fn escape_like(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn like(operator: &str, value: &str) -> Option<String> {
    let v = escape_like(value);
    match operator {
        "contains" => Some(format!("%{v}%")),
        "starts_with" => Some(format!("{v}%")),
        "ends_with" => Some(format!("%{v}")),
        _ => None,
    }
}

fn number(field: &str, given: Option<&str>) -> Result<Option<i64>, ApiError> {
    match given.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| Some(n as i64))
            .ok_or_else(|| refused(field, "Expected a number")),
    }
}

/// Conditions and their parameters.
struct Conditions {
    pieces: Vec<&'static str>,
    params: Vec<Value>,
}

impl Conditions {
    fn add(&mut self, pieces: &[&'static str], params: impl IntoIterator<Item = Value>) {
        self.pieces.push(if self.pieces.is_empty() {
            " where "
        } else {
            " and "
        });
        self.pieces.extend_from_slice(pieces);
        self.params.extend(params);
    }
}

fn search(q: &Query, c: &mut Conditions) -> Result<(), ApiError> {
    let Some(value) = q.search_value.as_deref().filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    let field = q.search_field.as_deref().unwrap_or("email");
    let operator = q.search_operator.as_deref().unwrap_or("contains");
    let name = match field {
        "email" => r#""email""#,
        "name" => r#""name""#,
        other => {
            return Err(refused(
                "searchField",
                &format!("Unknown field \"{other}\""),
            ))
        }
    };
    // Addresses are stored lowercased: a prefix of one is a range of the unique index.
    if field == "email" && operator == "starts_with" {
        let low = value.to_lowercase();
        let high = format!("{low}\u{10FFFF}");
        c.add(
            &[r#""email" >= ? and "email" < ?"#],
            [low.into(), high.into()],
        );
        return Ok(());
    }
    let pattern = like(operator, value).ok_or_else(|| {
        refused(
            "searchOperator",
            &format!("Unknown operator \"{operator}\""),
        )
    })?;
    c.add(&[name, r#" like ? escape '\'"#], [pattern.into()]);
    Ok(())
}

fn filter(q: &Query, c: &mut Conditions) -> Result<(), ApiError> {
    if q.filter_values.is_empty() {
        return Ok(());
    }
    let field = q.filter_field.as_deref().unwrap_or("email");
    let sql = column("filterField", field)?;
    let boolean = BOOLEAN_COLUMNS.contains(&field);
    let bind = |v: &str| -> Value {
        match (boolean, v) {
            (true, "true") => Value::Integer(1),
            (true, "false") => Value::Integer(0),
            _ => v.into(),
        }
    };
    let operator = q.filter_operator.as_deref().unwrap_or("eq");
    let first = q.filter_values[0].as_str();
    let comparison = match operator {
        "eq" => " = ?",
        "ne" => " <> ?",
        "lt" => " < ?",
        "lte" => " <= ?",
        "gt" => " > ?",
        "gte" => " >= ?",
        "in" | "not_in" => {
            let list: Vec<serde_json::Value> = q
                .filter_values
                .iter()
                .flat_map(|v| v.split(','))
                .map(|v| match bind(v.trim()) {
                    Value::Integer(n) => serde_json::json!(n),
                    _ => serde_json::json!(v.trim()),
                })
                .collect();
            let keyword = if operator == "in" { " in " } else { " not in " };
            c.add(
                &[sql, keyword, r#"(select "value" from json_each(?))"#],
                [serde_json::Value::Array(list).to_string().into()],
            );
            return Ok(());
        }
        other => {
            let pattern = like(other, first).ok_or_else(|| {
                refused("filterOperator", &format!("Unknown operator \"{other}\""))
            })?;
            c.add(&[sql, r#" like ? escape '\'"#], [pattern.into()]);
            return Ok(());
        }
    };
    c.add(&[sql, comparison], [bind(first)]);
    Ok(())
}

/// The page and count statements for `q`.
pub fn plan(q: &Query) -> Result<Planned, ApiError> {
    let mut c = Conditions {
        pieces: Vec::new(),
        params: Vec::new(),
    };
    search(q, &mut c)?;
    filter(q, &mut c)?;
    let limit = number("limit", q.limit.as_deref())?.filter(|n| *n > 0);
    let offset = number("offset", q.offset.as_deref())?.filter(|n| *n > 0);
    let order = match q.sort_by.as_deref().filter(|s| !s.is_empty()) {
        Some(by) => column("sortBy", by)?,
        None => r#""createdAt""#,
    };
    let direction = match q.sort_direction.as_deref() {
        None | Some("") | Some("asc") => " asc",
        Some("desc") => " desc",
        Some(other) => {
            return Err(refused(
                "sortDirection",
                &format!("Unknown direction \"{other}\""),
            ))
        }
    };

    let mut page = vec!["select ", users::COLUMNS, r#" from "user""#];
    page.extend(&c.pieces);
    page.extend([
        " order by ",
        order,
        direction,
        r#", "id""#,
        direction,
        " limit ? offset ?",
    ]);
    let mut page_params = c.params.clone();
    page_params.push(limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT).into());
    page_params.push(offset.unwrap_or(0).into());

    let mut total = vec![r#"select count(*) as "total" from "user""#];
    total.extend(&c.pieces);
    Ok(Planned {
        page: Statement::composed(&page, page_params),
        total: Statement::composed(&total, c.params),
        limit,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_their_wildcards_literally() {
        assert_eq!(like("contains", "50%_off\\"), Some(r"%50\%\_off\\%".into()));
        assert_eq!(like("starts_with", "a"), Some("a%".into()));
        assert_eq!(like("nope", "a"), None);
    }

    #[test]
    fn no_request_value_reaches_the_sql_text() {
        let evil = r#"x" or 1=1; drop table "user"; --"#;
        let q = Query {
            search_value: Some(evil.into()),
            search_field: Some("name".into()),
            filter_field: Some("role".into()),
            filter_values: vec![evil.into()],
            filter_operator: Some("in".into()),
            ..Query::default()
        };
        let planned = plan(&q).unwrap();
        assert!(!planned.page.sql.contains("drop table"));
        assert!(!planned.total.sql.contains("drop table"));
        let unknown = Query {
            sort_by: Some(r#"name"; drop table "user"; --"#.into()),
            ..Query::default()
        };
        assert_eq!(plan(&unknown).err().unwrap().status, 400);
    }
}
