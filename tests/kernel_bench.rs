//! The request kernel's cost, for `npm run bench` (ignored by `npm test`): whole requests answered
//! in process (release build, in-memory D1 and KV), against the floor of `/health`, which is
//! answered before any routing. Prints JSON lines for scripts/bench-report.mjs.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use support::{raw, TestApp};

fn median_us(t: &TestApp, runs: usize, mut request: impl FnMut() -> http::Request<Vec<u8>>) -> f64 {
    let mut samples: Vec<f64> = (0..runs + 50)
        .map(|_| {
            let req = request();
            let start = std::time::Instant::now();
            std::hint::black_box(t.send(req));
            start.elapsed().as_secs_f64() * 1e6
        })
        .skip(50)
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[runs / 2]
}

#[test]
#[ignore = "a benchmark: npm run bench"]
fn kernel_costs() {
    let t = TestApp::new();
    let mut client = t.client();
    let token = client
        .sign_up("kernel-bench@example.com", "correct horse battery")
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {token}");
    let runs = 2000;
    let health = median_us(&t, runs, || raw("GET", "/health", &[], b""));
    let ok = median_us(&t, runs, || raw("GET", "/api/auth/ok", &[], b""));
    let session = median_us(&t, runs, || {
        raw(
            "GET",
            "/api/auth/get-session",
            &[("authorization", &bearer)],
            b"",
        )
    });
    let refused = median_us(&t, runs, || {
        raw(
            "POST",
            "/api/auth/sign-in/email",
            &[("content-type", "application/json")],
            br#"{"email": 1, "password": ["x"]}"#,
        )
    });
    for (what, us) in [
        ("kernel: GET /health (floor)", health),
        ("kernel: GET /ok", ok),
        ("kernel: GET /get-session (KV)", session),
        ("kernel: sign-in body refused", refused),
    ] {
        println!(
            r#"BENCH {{"where":"native (in process)","what":"{what}","ms":{:.6}}}"#,
            us / 1000.0
        );
    }
}
