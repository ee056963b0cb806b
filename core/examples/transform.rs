//! Times the transformation pipeline natively on one file:
//! `cargo run --release -p edgepix-core --example transform -- FILE OPTIONS RUNS`
//! prints the median milliseconds and the output size. `cargo xtask bench
//! transform` runs it beside the Worker and sharp.

use std::time::Instant;

use edgepix_core::codec::Limits;
use edgepix_core::transform::options;
use edgepix_core::transform::pipeline::{self, Output};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, opts, runs] = &args[..] else { return Err("usage: transform FILE OPTIONS RUNS".to_owned()) };
    let source = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
    let opts = options::parse(opts).map_err(|e| e.to_string())?;
    let runs: usize = runs.parse().map_err(|_| "RUNS must be a number")?;
    let format = pipeline::output_format(&opts, None, false);
    // The Worker's limits, so that both tiers do the same work (a larger
    // decode budget would decode at a larger DCT scale).
    let limits = Limits::default();
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let out = pipeline::run(&source, &opts, format, &limits).map_err(|e| e.to_string())?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if let Output::Image(img) = out {
            size = img.bytes.len();
        }
    }
    times.sort_by(f64::total_cmp);
    println!("{{\"median_ms\":{:.2},\"bytes\":{size}}}", times[times.len() / 2]);
    Ok(())
}
