//! `cargo xtask dev`: set up, build, run the whole system locally, print
//! the URLs, and stop everything on Ctrl-C or SIGTERM.

use std::time::Duration;

use crate::system::{self, Options};
use crate::{Result, accounts, build, project, setup};

/// Runs the system until interrupted.
pub fn run(args: &[String]) -> Result {
    let env_port = |k: &str, d: u16| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let mut port = env_port("EDGEPIX_PORT", 8787);
    let mut pool_port = env_port("EDGEPIX_POOL_PORT", 8790);
    let mut spin_port = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().and_then(|v| v.parse::<u16>().ok()).ok_or_else(|| format!("{name} needs a port number"));
        match a.as_str() {
            "--port" => port = value("--port")?,
            "--pool-port" => pool_port = value("--pool-port")?,
            "--spin-port" => spin_port = Some(value("--spin-port")?),
            other => return Err(format!("unknown option {other:?} (--port, --pool-port, --spin-port)")),
        }
    }
    setup::ensure(setup::Needs::default())?;
    build::all()?;
    let state = project::state_dir();
    std::fs::create_dir_all(&state).map_err(|e| format!("cannot create {}: {e}", state.display()))?;
    let pool_secret = dev_secret(&state, "pool-secret")?;
    let jwt_keys = persisted(&state, "jwt-keys", accounts::new_jwt_key)?;
    let view_secret = dev_secret(&state, "view-secret")?;
    let proof_keys = persisted(&state, "proof-keys", accounts::new_jwt_key)?;
    let email = "dev@edgepix.local";
    let password = format!("pw-{}", dev_secret(&state, "dev-password")?);
    system::handle_signals()?;
    let mut sys = system::start(&Options { port, pool_port, spin_port, state: state.join("wrangler"), pool_secret, jwt_keys, view_secret, proof_keys, admin_emails: email.to_owned(), logs: None })?;
    let key_file = state.join("dev-api-key");
    let api_token = match std::fs::read_to_string(&key_file) {
        Ok(k) if accounts::key_works(&sys.worker_url, k.trim(), "127.0.0.1") => k.trim().to_owned(),
        _ => {
            let k = accounts::creator(&sys.worker_url, email, &password, "cargo xtask dev", "127.0.0.1")?;
            std::fs::write(&key_file, &k).map_err(|e| format!("cannot write {}: {e}", key_file.display()))?;
            k
        }
    };
    println!();
    println!("edgepix is running:");
    println!("  worker  {}/", sys.worker_url);
    println!("  pool    {}/healthz", sys.pool_url);
    if let Some(spin) = &sys.spin_url {
        println!("  spin    {spin}/healthz");
    }
    println!("  state   {}", state.display());
    println!("  sign in {}/signin   as {email} / {password}   (an admin)", sys.worker_url);
    println!("  API key Authorization: Bearer {api_token}");
    println!("Ctrl-C stops everything.");
    let outcome = loop {
        if system::stop_requested() {
            break Ok(());
        }
        if let Err(e) = sys.check_alive() {
            break Err(e);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    eprintln!("xtask: stopping");
    sys.stop();
    outcome
}

/// A secret for local development, made once and kept in the state folder.
/// The value kept in `state/name`, made by `make` the first time.
fn persisted(state: &std::path::Path, name: &str, make: fn() -> Result<String>) -> Result<String> {
    let path = state.join(name);
    match std::fs::read_to_string(&path) {
        Ok(k) if !k.trim().is_empty() => Ok(k.trim().to_owned()),
        _ => {
            let k = make()?;
            std::fs::write(&path, &k).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(k)
        }
    }
}

fn dev_secret(state: &std::path::Path, name: &str) -> Result<String> {
    let path = state.join(name);
    if let Ok(s) = std::fs::read_to_string(&path) {
        if s.trim().len() >= 32 {
            return Ok(s.trim().to_owned());
        }
    }
    let secret = random_hex(32)?;
    std::fs::write(&path, &secret).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(secret)
}

/// `n` random bytes from the OS, as hex.
pub fn random_hex(n: usize) -> Result<String> {
    let mut buf = vec![0u8; n];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom").map_err(|e| e.to_string())?, &mut buf).map_err(|e| e.to_string())?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
