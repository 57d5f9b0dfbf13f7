//! The endpoint catalogue against what is written about it: the README's endpoint table lists
//! exactly the catalogue's endpoints, with their requirements, and the generated document has one
//! operation per endpoint.
#![cfg(not(target_arch = "wasm32"))]

use portcullis::config::Config;
use portcullis::features::open_api::document::{document, openapi_path};
use portcullis::features::CATALOGUE;
use portcullis::kernel::catalogue::{endpoints, Endpoint, Requires};
use portcullis::session::Source;
use support::{raw, TestApp};

mod support;

fn config() -> Config {
    let vars = support::vars(&[]);
    Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        .unwrap()
}

/// `(method path, marks)` for each row of the README's endpoint table under the base path.
fn readme_rows() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let endpoint = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let (method, path) = endpoint.split_once(' ')?;
            (matches!(method, "GET" | "POST") && path.starts_with('/')).then(|| {
                (
                    format!("{method} {path}"),
                    cells.get(2).unwrap_or(&"").to_string(),
                )
            })
        })
        .collect()
}

fn marks(endpoint: &Endpoint) -> String {
    let requires = match endpoint.requires {
        Requires::Nothing => "",
        Requires::Session(Source::Cache) => "S",
        Requires::Session(Source::Durable) => "S D",
        Requires::FreshSession => "S F",
        Requires::OperatorToken => "T",
    };
    match endpoint.accepts_credential {
        true => format!("{requires} K").trim().to_string(),
        false => requires.to_string(),
    }
}

#[test]
fn the_readme_table_lists_every_endpoint_of_the_catalogue_and_nothing_else() {
    let rows = readme_rows();
    let outside_base_path = [
        "GET /health",
        "GET /.well-known/jwks.json",
        "GET /.well-known/openid-configuration",
    ];
    let documented: Vec<&(String, String)> = rows
        .iter()
        .filter(|(e, _)| !outside_base_path.iter().any(|o| e.starts_with(o)))
        .collect();
    let declared: Vec<(String, String)> = endpoints(CATALOGUE)
        .map(|e| (format!("{} {}", e.verb.as_str(), e.path), marks(e)))
        .collect();
    for (endpoint, requires) in &declared {
        let row = documented.iter().find(|(e, _)| e == endpoint);
        let Some((_, written)) = row else {
            panic!("{endpoint} is routed but missing from the README's table");
        };
        assert_eq!(written, requires, "{endpoint}: the README says {written:?}");
    }
    for (endpoint, _) in &documented {
        assert!(
            declared.iter().any(|(e, _)| e == endpoint),
            "the README lists {endpoint}, which the catalogue does not route"
        );
    }
}

#[test]
fn the_document_has_one_operation_per_endpoint_with_unique_names() {
    let doc = document(&config(), CATALOGUE);
    let mut names = Vec::new();
    for e in endpoints(CATALOGUE) {
        let op = &doc["paths"][openapi_path(e.path)][e.verb.as_str().to_ascii_lowercase()];
        assert_eq!(op["operationId"], e.name, "{} {}", e.verb.as_str(), e.path);
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
        assert!(!e.summary.is_empty(), "{} has a summary", e.path);
        names.push(e.name);
    }
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "operation names are unique");
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|i| i.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, count);
}

#[test]
fn every_path_resolves_to_its_own_endpoint() {
    for e in endpoints(CATALOGUE) {
        let concrete = e.path.replace(":token", "abc");
        let method = http::Method::from_bytes(e.verb.as_str().as_bytes()).unwrap();
        let (found, _) =
            portcullis::kernel::catalogue::resolve(CATALOGUE, &method, &concrete).unwrap();
        assert_eq!(found.name, e.name);
    }
}

#[test]
fn the_contract_is_served_unless_turned_off() {
    let on = TestApp::new();
    let res = on.send(raw("GET", "/api/auth/open-api/generate-schema", &[], b""));
    assert_eq!(res.status(), 200);
    assert_eq!(res.json()["openapi"], "3.1.0");
    let page = on.send(raw("GET", "/api/auth/reference", &[], b""));
    assert_eq!(page.status(), 200);
    let policy = page.header("content-security-policy").unwrap();
    assert!(
        policy.starts_with("default-src 'none'; style-src 'sha256-"),
        "{policy}"
    );

    let off = TestApp::with_vars(&[("OPENAPI_ENABLED", "false")]);
    for path in ["/api/auth/open-api/generate-schema", "/api/auth/reference"] {
        let res = off.send(raw("GET", path, &[], b""));
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.body_is_empty(), "{path}: off looks like absent");
    }
}

#[test]
fn every_migration_belongs_to_one_feature_or_to_the_shared_schema() {
    let mut claimed: Vec<&str> = portcullis::features::SHARED_MIGRATIONS.to_vec();
    claimed.extend(CATALOGUE.iter().flat_map(|f| f.migrations.iter().copied()));
    let mut files: Vec<&str> = portcullis::storage::migrations::MIGRATIONS
        .iter()
        .map(|(name, _)| *name)
        .collect();
    claimed.sort_unstable();
    files.sort_unstable();
    assert_eq!(
        claimed, files,
        "each file in migrations/ is listed exactly once"
    );
}
