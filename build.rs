//! Embeds the ordered D1 migrations (for the native SQL tests) and the build's version string.

use std::{env, fs, path::Path, process::Command};

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let mut files: Vec<String> = fs::read_dir("migrations")
        .expect("migrations/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    files.sort();
    let root = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let entries: String = files
        .iter()
        .map(|f| {
            format!(
                "    ({f:?}, include_str!({:?})),\n",
                Path::new(&root)
                    .join("migrations")
                    .join(f)
                    .display()
                    .to_string()
            )
        })
        .collect();
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("migrations.rs");
    fs::write(
        out,
        format!("pub const MIGRATIONS: &[(&str, &str)] = &[\n{entries}];\n"),
    )
    .expect("OUT_DIR is writable");

    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!(
        "cargo:rustc-env=PORTCULLIS_VERSION={}+{commit}",
        env::var("CARGO_PKG_VERSION").unwrap_or_default()
    );
}
