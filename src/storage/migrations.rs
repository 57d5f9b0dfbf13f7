//! The D1 migrations in apply order (file name, SQL), embedded by `build.rs` so native tests run
//! the very same schema as D1.

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
