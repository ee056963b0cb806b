//! Starting and stopping the local system: the function pool (native, and
//! the Spin component under `wasmtime serve`) and the Worker under
//! `wrangler dev` with local R2, D1, KV and Durable Objects.
//!
//! Each child runs in its own process group, so that stopping it also stops
//! what it started (wrangler's `workerd`); [`Proc`]'s `Drop` does that, so
//! no path out of a task leaves servers behind.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::{Result, build, cmd, project, setup};

/// Set by the Ctrl-C / SIGTERM handler; waits give up when it is set.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Installs the Ctrl-C / SIGTERM handler that sets [`STOP`].
pub fn handle_signals() -> Result {
    ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst)).map_err(|e| format!("cannot handle signals: {e}"))
}

/// Whether a stop was asked for.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// A child process in its own process group.
pub struct Proc {
    name: String,
    child: Child,
    log: Option<PathBuf>,
}

impl Proc {
    /// Starts `c` in a new process group; output goes to `log` when given.
    pub fn spawn(name: &str, mut c: Command, log: Option<PathBuf>) -> Result<Proc> {
        c.process_group(0).stdin(Stdio::null());
        if let Some(log) = &log {
            let f = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
            let f2 = f.try_clone().map_err(|e| e.to_string())?;
            c.stdout(f).stderr(f2);
        }
        let child = c.spawn().map_err(|e| format!("cannot start {name}: {e}"))?;
        Ok(Proc { name: name.to_owned(), child, log })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the process has exited.
    pub fn check_alive(&mut self) -> Result {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("{} exited ({status}){}", self.name, self.log_tail())),
            Err(e) => Err(format!("cannot check {}: {e}", self.name)),
        }
    }

    /// The last lines of the log, for error messages.
    pub fn log_tail(&self) -> String {
        let Some(log) = &self.log else { return String::new() };
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!("\n--- last lines of {} ---\n{}", log.display(), lines[lines.len().saturating_sub(30)..].join("\n"))
    }

    /// SIGTERM to the group, then SIGKILL if it is still there after 5 s.
    pub fn stop(&mut self) {
        let pgid = self.child.id() as i32;
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            signal_group(pgid, libc::SIGKILL);
            return;
        }
        signal_group(pgid, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of the group (workerd under wrangler) goes too.
        signal_group(pgid, libc::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

fn signal_group(pgid: i32, sig: i32) {
    // SAFETY: kill(2) with a negative pid signals that process group only.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

/// How to start the system.
pub struct Options {
    /// The Worker's port.
    pub port: u16,
    /// The native pool's port.
    pub pool_port: u16,
    /// The Spin component's port, when it should run.
    pub spin_port: Option<u16>,
    /// wrangler's persistence folder.
    pub state: PathBuf,
    /// The secret the Worker signs pool requests with.
    pub pool_secret: String,
    /// The Worker's access-token keys (`JWT_KEYS`).
    pub jwt_keys: String,
    /// The view-ticket HMAC key (`VIEW_SECRET`).
    pub view_secret: String,
    /// The content-proof signing keys (`PROOF_KEYS`).
    pub proof_keys: String,
    /// Emails that become admins at sign-up (`ADMIN_EMAILS`).
    pub admin_emails: String,
    /// Where children's logs go; `None` shows them on the terminal.
    pub logs: Option<PathBuf>,
}

/// The running system.
pub struct System {
    /// The Worker's base URL.
    pub worker_url: String,
    /// The native pool's base URL.
    pub pool_url: String,
    /// The Spin component's base URL, when started.
    pub spin_url: Option<String>,
    procs: Vec<Proc>,
}

impl System {
    /// Fails if any part has exited.
    pub fn check_alive(&mut self) -> Result {
        self.procs.iter_mut().try_for_each(Proc::check_alive)
    }

    /// Stops every part (also done on drop).
    pub fn stop(&mut self) {
        for p in self.procs.iter_mut().rev() {
            p.stop();
        }
        self.procs.clear();
    }
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> Result {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A free port on the loopback interface.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Applies the D1 migrations to the local database in `state`.
pub fn migrate(state: &Path) -> Result {
    cmd::run(
        cmd::new(project::node_bin("wrangler"))
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(state)
            .env("CI", "true"),
    )
}

/// Starts pool(s) and Worker and waits until each answers.
pub fn start(opts: &Options) -> Result<System> {
    migrate(&opts.state)?;
    let log = |name: &str| opts.logs.as_ref().map(|d| d.join(format!("{name}.log")));
    let pool_url = format!("http://127.0.0.1:{}", opts.pool_port);
    let mut procs = Vec::new();

    procs.push(Proc::spawn("pool", pool_command(opts.pool_port, &opts.pool_secret), log("pool"))?);

    let spin_url = match opts.spin_port {
        Some(port) => {
            procs.push(Proc::spawn("spin", spin_command(port, &opts.pool_secret), log("spin"))?);
            Some(format!("http://127.0.0.1:{port}"))
        }
        None => None,
    };

    // Vars and secrets go through an env file: not on command lines (ps
    // shows those), and values may hold any character.
    let env_file = opts.state.join("dev.env");
    std::fs::create_dir_all(&opts.state).map_err(|e| format!("cannot create {}: {e}", opts.state.display()))?;
    let env_text = format!(
        "POOL_URL={pool_url}\nPOOL_SECRET={}\nJWT_KEYS={}\nVIEW_SECRET={}\nPROOF_KEYS={}\nADMIN_EMAILS={}\nEDGEPIX_DEV=1\n",
        opts.pool_secret, opts.jwt_keys, opts.view_secret, opts.proof_keys, opts.admin_emails
    );
    write_private(&env_file, &env_text)?;
    let mut wrangler = cmd::new(project::node_bin("wrangler"));
    wrangler
        .args(["dev", "--ip", "127.0.0.1", "--port", &opts.port.to_string(), "--inspector-port", &free_port()?.to_string()])
        .args(["--show-interactive-dev-session=false", "--persist-to"])
        .arg(&opts.state)
        .arg("--env-file")
        .arg(&env_file)
        .env("CI", "true")
        .env("WRANGLER_SEND_METRICS", "false");
    procs.push(Proc::spawn("wrangler", wrangler, log("wrangler"))?);

    let mut system = System { worker_url: format!("http://127.0.0.1:{}", opts.port), pool_url, spin_url, procs };
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut urls = vec![system.pool_url.clone(), system.worker_url.clone()];
    urls.extend(system.spin_url.clone());
    for url in urls {
        wait_healthy(&mut system, &format!("{url}/healthz"), deadline)?;
    }
    Ok(system)
}

/// The native pool's command line: the models cache, ONNX Runtime from
/// the tools cache, the secret in its environment.
pub fn pool_command(port: u16, secret: &str) -> Command {
    let mut pool = Command::new(build::pool_bin());
    pool.arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--models")
        .arg(project::models())
        .arg("--onnxruntime")
        .arg(setup::onnxruntime_path())
        .env("POOL_SECRET", secret);
    pool
}

/// The Spin component under `wasmtime serve`, the models directory that
/// `build spin` lays out mapped to `/models`.
pub fn spin_command(port: u16, secret: &str) -> Command {
    let mut spin = Command::new(setup::wasmtime_path());
    // `--env NAME` passes the host's value: the secret stays off the
    // command line.
    spin.args(["serve", "-Scli", "--env", "POOL_SECRET", "--addr"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--dir")
        .arg(format!("{}::/models", project::build_dir().join("models").display()))
        .arg(build::spin_wasm())
        .env("POOL_SECRET", secret);
    spin
}

/// Starts only the native pool, and the Spin component when `spin_port` is
/// given (parity, benchmarks), and waits until they answer.
pub fn start_pools(port: u16, spin_port: Option<u16>, secret: &str, logs: Option<&Path>) -> Result<System> {
    let log = |name: &str| logs.map(|d| d.join(format!("{name}.log")));
    let mut procs = vec![Proc::spawn("pool", pool_command(port, secret), log("pool"))?];
    if let Some(p) = spin_port {
        procs.push(Proc::spawn("spin", spin_command(p, secret), log("spin"))?);
    }
    let mut system = System { worker_url: String::new(), pool_url: format!("http://127.0.0.1:{port}"), spin_url: spin_port.map(|p| format!("http://127.0.0.1:{p}")), procs };
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut urls = vec![system.pool_url.clone()];
    urls.extend(system.spin_url.clone());
    for url in urls {
        wait_healthy(&mut system, &format!("{url}/healthz"), deadline)?;
    }
    Ok(system)
}

impl System {
    /// The native pool's resident and peak resident memory, in MiB, from
    /// `/proc` (`VmRSS`, `VmHWM`).
    pub fn pool_memory_mib(&self) -> Option<(f64, f64)> {
        let pid = self.procs.first()?.pid();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.split_whitespace().next()).and_then(|kb| kb.parse::<f64>().ok()).map(|kb| kb / 1024.0)
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }
}

fn wait_healthy(system: &mut System, url: &str, deadline: Instant) -> Result {
    let mut last = String::from("no answer yet");
    while Instant::now() < deadline {
        if stop_requested() {
            return Err("interrupted".to_owned());
        }
        system.check_alive()?;
        match http_get(url) {
            Ok((200, _)) => return Ok(()),
            Ok((status, body)) => last = format!("{status}: {}", body.chars().take(300).collect::<String>()),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let tails: String = system.procs.iter().map(Proc::log_tail).collect();
    Err(format!("{url} did not answer 200 in time (last: {last}){tails}"))
}

/// A plain HTTP/1.1 GET over loopback: status and body.
pub fn http_get(url: &str) -> Result<(u16, String)> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).map_err(|e| format!("read {url}: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| format!("no status line from {url}"))?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}
