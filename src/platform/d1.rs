//! `Sql` on Cloudflare D1: bound parameters, and `batch` as one transaction.

use crate::storage::{Executed, Row, Sql, Statement, StorageError, Value};
use async_trait::async_trait;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

pub struct D1Sql(pub D1Database);

fn bind(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Integer(n) => JsValue::from_f64(*n as f64),
        Value::Text(s) => JsValue::from_str(s),
    }
}

fn error(e: worker::Error) -> StorageError {
    StorageError::from_binding_message(e.to_string())
}

impl D1Sql {
    fn prepare(&self, stmt: &Statement) -> Result<D1PreparedStatement, StorageError> {
        let params: Vec<JsValue> = stmt.params.iter().map(bind).collect();
        self.0
            .prepare(stmt.sql.as_ref())
            .bind(&params)
            .map_err(error)
    }
}

fn changes(result: &D1Result) -> u64 {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0) as u64
}

#[async_trait(?Send)]
impl Sql for D1Sql {
    async fn query(&self, stmt: Statement) -> Result<Vec<Row>, StorageError> {
        let result = self.prepare(&stmt)?.all().await.map_err(error)?;
        result
            .results::<Row>()
            .map_err(|e| StorageError::Decode(e.to_string()))
    }

    async fn execute(&self, stmt: Statement) -> Result<u64, StorageError> {
        let result = self.prepare(&stmt)?.run().await.map_err(error)?;
        Ok(changes(&result))
    }

    async fn run_batch(&self, stmts: Vec<Statement>) -> Result<Vec<Executed>, StorageError> {
        let prepared = stmts
            .iter()
            .map(|s| self.prepare(s))
            .collect::<Result<Vec<_>, _>>()?;
        let results = self.0.batch(prepared).await.map_err(error)?;
        results
            .iter()
            .map(|r| {
                Ok(Executed {
                    changes: changes(r),
                    rows: r
                        .results::<Row>()
                        .map_err(|e| StorageError::Decode(e.to_string()))?,
                })
            })
            .collect()
    }
}
