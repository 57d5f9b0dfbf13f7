//! Native costs for scripts/bench.sh: scrypt with better-auth's parameters and Ed25519 sign and
//! verify, beside an HMAC floor from the same run. Prints JSON lines for scripts/bench-report.mjs.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::run();
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use portcullis::crypto::hmac::hmac_sha256;
    use portcullis::crypto::password::{hash_with_salt, RustScrypt};
    use portcullis::features::jwt::keys::{Alg, KeyPair};
    use std::time::Instant;

    fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
        let mut samples: Vec<f64> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        samples[runs / 2]
    }

    pub fn run() {
        let _ = hash_with_salt(&RustScrypt, "warm up", "00000000000000000000000000000000");
        let scrypt = median_ms(15, || {
            let _ = hash_with_salt(
                &RustScrypt,
                "correct horse battery",
                "a5b0a7c6b5f7d8e9f0a1b2c3d4e5f6a7",
            );
        });
        let hmac = median_ms(15, || {
            for _ in 0..1000 {
                std::hint::black_box(hmac_sha256(b"key", b"message"));
            }
        }) / 1000.0;
        let pair = KeyPair::generate("bench".into(), Alg::EdDSA).expect("random");
        let input = b"eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyIn0";
        let signature = pair.sign(input);
        let public = pair.public();
        let sign = median_ms(15, || {
            for _ in 0..1000 {
                std::hint::black_box(pair.sign(input));
            }
        }) / 1000.0;
        let verify = median_ms(15, || {
            for _ in 0..1000 {
                std::hint::black_box(public.verify(input, &signature));
            }
        }) / 1000.0;
        println!(r#"{{"where":"native","what":"scrypt (Rust, release)","ms":{scrypt:.3}}}"#);
        println!(r#"{{"where":"native","what":"Ed25519 sign","ms":{sign:.6}}}"#);
        println!(r#"{{"where":"native","what":"Ed25519 verify","ms":{verify:.6}}}"#);
        println!(r#"{{"where":"native","what":"HMAC-SHA256 (floor)","ms":{hmac:.6}}}"#);
    }
}
