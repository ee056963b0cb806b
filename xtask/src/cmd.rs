//! Running commands: status checked, output streamed or captured.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{Result, project};

/// A command with the repository as working directory and our tools first
/// on PATH.
pub fn new(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(project::root()).env("PATH", project::path_with_tools());
    c
}

/// `cargo` as invoked by `cargo xtask` (the same toolchain).
pub fn cargo() -> Command {
    new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `c`, streaming its output; an error names the command and status.
pub fn run(c: &mut Command) -> Result {
    let what = describe(c);
    eprintln!("xtask: $ {what}");
    let status = c.status().map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}

/// Runs `c` and returns its standard output (stderr streams through).
pub fn output(c: &mut Command) -> Result<String> {
    let what = describe(c);
    let out = c.stderr(Stdio::inherit()).output().map_err(|e| format!("cannot run {what}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{what} failed ({})", out.status));
    }
    String::from_utf8(out.stdout).map_err(|_| format!("{what} printed non-UTF-8"))
}

/// Runs `c`, echoing each stdout line and handing it to `on_line`; returns
/// whether it exited successfully. Stderr streams through.
pub fn run_lines(c: &mut Command, mut on_line: impl FnMut(&str)) -> Result<bool> {
    let what = describe(c);
    eprintln!("xtask: $ {what}");
    let mut child = c.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().map_err(|e| format!("cannot run {what}: {e}"))?;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line.map_err(|e| format!("reading {what}: {e}"))?;
            println!("{line}");
            on_line(&line);
        }
    }
    Ok(child.wait().map_err(|e| format!("waiting for {what}: {e}"))?.success())
}

/// Whether `program --version`-style `args` runs and prints `expect`.
pub fn prints(program: &Path, args: &[&str], expect: &str) -> bool {
    Command::new(program).args(args).output().is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(expect))
}

/// Times `f`, printing how long the step took.
pub fn timed<T>(step: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    let r = f();
    eprintln!("xtask: {step}: {:.1} s", started.elapsed().as_secs_f64());
    r
}

fn describe(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}
