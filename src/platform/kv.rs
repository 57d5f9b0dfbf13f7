//! `Kv` on Workers KV.

use crate::storage::{Kv, StorageError, KV_MIN_TTL_SECONDS};
use async_trait::async_trait;
use worker::KvStore;

pub struct WorkersKv(pub KvStore);

fn unavailable(e: impl std::fmt::Display) -> StorageError {
    StorageError::Unavailable(e.to_string())
}

#[async_trait(?Send)]
impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.0.get(key).text().await.map_err(unavailable)
    }

    async fn put(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), StorageError> {
        let ttl = ttl_seconds.max(KV_MIN_TTL_SECONDS);
        self.0
            .put(key, value)
            .map_err(unavailable)?
            .expiration_ttl(ttl)
            .execute()
            .await
            .map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.0.delete(key).await.map_err(unavailable)
    }
}
