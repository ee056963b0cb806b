//! Times the password KDF natively:
//! `cargo run --release -p edgepix-core --example kdf -- ITERATIONS RUNS`
//! hashes and verifies one password with PBKDF2-HMAC-SHA256 and prints the
//! median milliseconds of a verification. Timings are printed, never
//! asserted.

use std::time::Instant;

use edgepix_core::account::password::PasswordHash;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [iterations, runs] = &args[..] else { return Err("usage: kdf ITERATIONS RUNS".to_owned()) };
    let iterations: u32 = iterations.parse().map_err(|_| "ITERATIONS")?;
    let runs: usize = runs.parse().map_err(|_| "RUNS")?;
    let hash = PasswordHash::new("correct horse battery staple", [7; 16], iterations);
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            assert!(hash.verify("correct horse battery staple"));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("{{\"iterations\": {iterations}, \"median_ms\": {:.2}}}", times[times.len() / 2]);
    Ok(())
}
