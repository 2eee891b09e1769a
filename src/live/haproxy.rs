//! HAProxy as the layer's balancer: a generated configuration on loopback, started as a
//! supervised child, then driven only through its Runtime API (the admin socket).
//!
//! # Lifecycle
//! 1. [`start`] finds `haproxy` on the PATH (else says how to install it), writes a
//!    configuration into the run's directory (a frontend on `127.0.0.1`, one backend
//!    with HTTP health checks on `/health` at the model's interval and thresholds, no
//!    servers, an admin socket in the same directory), checks it with `haproxy -c`,
//!    starts `haproxy -db` (foreground) and waits until the socket answers.
//! 2. Servers come and go at run time, never by a reload (HAProxy 2.6 needs no
//!    `experimental-mode` for these): [`Runtime::add_server`] adds one in maintenance,
//!    enables its health checks, enables it and marks it down at once, so it takes
//!    traffic only after `rise` passing checks, as an ELB registers an instance after
//!    its healthy threshold; [`Runtime::set_state`] drains it (disabled: no new
//!    requests) or makes it ready again; [`Runtime::set_weight`];
//!    [`Runtime::remove_server`] puts it in maintenance and deletes it.
//! 3. [`Runtime::stats`] reads `show stat`: per server its status (`UP`, `DOWN`,
//!    `DRAIN`, `MAINT`, `UP 1/3` going down…) and current sessions.
//! 4. The supervisor stops HAProxy and removes the socket with the run's directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use super::processes::{ChildId, Supervisor};
use crate::engine::SimDuration;
use crate::scenario::balancer::Algorithm;

/// The backend's name in the configuration and in commands.
pub(crate) const BACKEND: &str = "layer";
/// Shortest health-check interval used (HAProxy counts in milliseconds).
const MIN_CHECK_INTERVAL: SimDuration = SimDuration::from_millis(50);
/// Time HAProxy gets to open its admin socket.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Time one Runtime API command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read from the socket.
const MAX_ANSWER_BYTES: usize = 4 << 20;

/// What the configuration is generated from.
#[derive(Debug, Clone)]
pub(crate) struct BalancerConfig {
    /// How a server is picked.
    pub(crate) algorithm: Algorithm,
    /// Time between health checks of a server.
    pub(crate) check_interval: SimDuration,
    /// Passing checks before a server takes traffic.
    pub(crate) rise: u32,
    /// Failing checks before a server stops taking traffic.
    pub(crate) fall: u32,
}

/// A running HAProxy.
#[derive(Debug)]
pub(crate) struct Haproxy {
    /// Its process.
    pub(crate) child: ChildId,
    /// Where callers send requests.
    pub(crate) frontend: std::net::SocketAddr,
    /// Its Runtime API.
    pub(crate) runtime: Runtime,
}

/// Per server, what `show stat` says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServerStat {
    /// The server's name.
    pub(crate) name: String,
    /// `UP`, `DOWN`, `DRAIN`, `MAINT`, `UP 1/3` (going down), `DOWN 1/2` (going up)…
    pub(crate) status: String,
    /// Requests on it now.
    pub(crate) current_sessions: u64,
}

impl ServerStat {
    /// Whether it takes traffic (up, and neither draining nor in maintenance).
    pub(crate) fn in_rotation(&self) -> bool {
        self.status == "UP" || self.status.starts_with("UP ")
    }

    /// Whether HAProxy holds its application healthy (in rotation or drained; one
    /// failed check is not enough to say otherwise, `fall` are).
    pub(crate) fn healthy(&self) -> bool {
        self.in_rotation() || self.status == "DRAIN" || self.status == "NOLB"
    }
}

/// Says how to get HAProxy when it is missing.
pub(crate) const INSTALL_HINT: &str = "live mode needs HAProxy (2.6 or newer) on the PATH: \
     install it with `apt-get install -y haproxy` (Debian, Ubuntu) or your system's package manager";

/// Starts HAProxy for a run: configuration and socket in the supervisor's directory.
pub(crate) async fn start(
    supervisor: &mut Supervisor,
    config: &BalancerConfig,
) -> Result<Haproxy, String> {
    let binary = find_haproxy().ok_or_else(|| INSTALL_HINT.to_string())?;
    let frontend = free_loopback_port()?;
    let socket = supervisor.dir().join("admin.sock");
    if socket.to_string_lossy().contains('\'') {
        return Err(format!(
            "the run's directory {} has a single quote in its path, which HAProxy's \
             configuration cannot hold; set TMPDIR to another directory",
            supervisor.dir().display()
        ));
    }
    let file = supervisor.dir().join("haproxy.cfg");
    std::fs::write(&file, config_text(config, frontend, &socket))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let check = tokio::process::Command::new(&binary)
        .arg("-c")
        .arg("-f")
        .arg(&file)
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    if !check.status.success() {
        // HAProxy reports configuration errors on stderr, some versions on stdout.
        let said = format!(
            "{}\n{}",
            String::from_utf8_lossy(&check.stderr).trim(),
            String::from_utf8_lossy(&check.stdout).trim()
        );
        let said = match said.trim() {
            "" => format!("no reason given (exit status {})", check.status),
            reason => reason.to_string(),
        };
        return Err(format!(
            "HAProxy refused the generated configuration {}: {said}",
            file.display()
        ));
    }
    let log = std::fs::File::create(supervisor.dir().join("haproxy.log"))
        .map_err(|e| format!("cannot create HAProxy's log: {e}"))?;
    let mut command = tokio::process::Command::new(&binary);
    command
        .arg("-db")
        .arg("-f")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    let (child, handle) = supervisor
        .spawn(command)
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    supervisor.adopt(child, handle);
    let runtime = Runtime {
        socket,
        check_options: check_options(config),
    };
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    loop {
        if runtime.command("show info").await.is_ok() {
            break;
        }
        if let Some(status) = supervisor.try_exit(child) {
            let log =
                std::fs::read_to_string(supervisor.dir().join("haproxy.log")).unwrap_or_default();
            return Err(format!(
                "HAProxy exited at start ({status}): {}",
                log.trim()
            ));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "HAProxy did not open its admin socket within {} s",
                START_TIMEOUT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(Haproxy {
        child,
        frontend,
        runtime,
    })
}

/// The configuration: loopback only, one frontend, one backend without servers.
pub(crate) fn config_text(
    config: &BalancerConfig,
    frontend: std::net::SocketAddr,
    socket: &Path,
) -> String {
    let balance = match config.algorithm {
        Algorithm::RoundRobin => "roundrobin",
        Algorithm::LeastOutstanding => "leastconn",
    };
    format!(
        "# generated by rollsim live; servers are added through the admin socket\n\
         global\n\
         \x20 stats socket '{socket}' mode 600 level admin\n\
         \x20 stats timeout 30s\n\
         \x20 maxconn 4096\n\
         defaults\n\
         \x20 mode http\n\
         \x20 timeout connect 1s\n\
         \x20 timeout client 60s\n\
         \x20 timeout server 60s\n\
         \x20 timeout http-keep-alive 10s\n\
         frontend entry\n\
         \x20 bind {frontend}\n\
         \x20 default_backend {BACKEND}\n\
         backend {BACKEND}\n\
         \x20 balance {balance}\n\
         \x20 option httpchk GET /health\n\
         \x20 default-server {checks}\n",
        socket = socket.display(),
        checks = check_options(config),
    )
}

/// A server's health-check settings: the model's interval and thresholds. Written on
/// every `add server` line too, because a dynamic server takes nothing from the
/// backend's `default-server` (it would check every 2 s, rise 2, fall 3).
pub(crate) fn check_options(config: &BalancerConfig) -> String {
    let inter_ms = config
        .check_interval
        .max(MIN_CHECK_INTERVAL)
        .as_millis_f64()
        .round() as u64;
    format!(
        "inter {inter_ms}ms rise {rise} fall {fall}",
        rise = config.rise.max(1),
        fall = config.fall.max(1),
    )
}

/// The Runtime API of one HAProxy: one connection per command.
#[derive(Debug, Clone)]
pub(crate) struct Runtime {
    socket: PathBuf,
    /// Health-check settings for `add server` ([`check_options`]).
    check_options: String,
}

impl Runtime {
    /// Sends one command line (`;` separates several) and returns the answer.
    pub(crate) async fn command(&self, line: &str) -> Result<String, String> {
        let exchange = async {
            let mut stream = UnixStream::connect(&self.socket).await?;
            stream.write_all(line.as_bytes()).await?;
            stream.write_all(b"\n").await?;
            let mut answer = Vec::new();
            (&mut stream)
                .take(MAX_ANSWER_BYTES as u64)
                .read_to_end(&mut answer)
                .await?;
            Ok::<_, std::io::Error>(String::from_utf8_lossy(&answer).into_owned())
        };
        match tokio::time::timeout(COMMAND_TIMEOUT, exchange).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(format!("HAProxy's admin socket: {e}")),
            Err(_) => Err(format!("HAProxy did not answer {line:?} in time")),
        }
    }

    /// Adds a server that takes traffic once `rise` health checks pass (or stays
    /// drained, if `drained`).
    pub(crate) async fn add_server(
        &self,
        name: &str,
        port: u16,
        weight: u32,
        drained: bool,
    ) -> Result<(), String> {
        let server = format!("{BACKEND}/{name}");
        // Weight 0 until marked down: see `enable_line`.
        let added = self
            .command(&add_server_line(&server, port, 0, &self.check_options))
            .await?;
        if !added.contains("New server registered") {
            return Err(format!("HAProxy refused server {name}: {}", added.trim()));
        }
        self.expect_silence(&enable_line(&server, weight, drained))
            .await
    }

    /// Drains a server (`drain`: no new requests) or puts it back (`ready`).
    pub(crate) async fn set_state(&self, name: &str, state: &str) -> Result<(), String> {
        self.expect_silence(&format!("set server {BACKEND}/{name} state {state}"))
            .await
    }

    /// Sets a server's weight (0–256).
    pub(crate) async fn set_weight(&self, name: &str, weight: u32) -> Result<(), String> {
        self.expect_silence(&format!("set weight {BACKEND}/{name} {}", weight.min(256)))
            .await
    }

    /// Takes a server out for good: maintenance, its sessions closed, deleted.
    pub(crate) async fn remove_server(&self, name: &str) -> Result<(), String> {
        let server = format!("{BACKEND}/{name}");
        self.command(&format!(
            "set server {server} state maint; shutdown sessions server {server}"
        ))
        .await?;
        let answer = self.command(&format!("del server {server}")).await?;
        if answer.contains("Server deleted") {
            Ok(())
        } else {
            Err(format!("HAProxy kept server {name}: {}", answer.trim()))
        }
    }

    /// Every server of the backend, as `show stat` sees it now.
    pub(crate) async fn stats(&self) -> Result<Vec<ServerStat>, String> {
        let csv = self.command("show stat").await?;
        parse_stats(&csv)
    }

    async fn expect_silence(&self, line: &str) -> Result<(), String> {
        let answer = self.command(line).await?;
        if answer.trim().is_empty() {
            Ok(())
        } else {
            Err(format!("HAProxy answered {line:?} with: {}", answer.trim()))
        }
    }
}

/// The `add server` command: the health-check settings spelled out, since a dynamic
/// server does not inherit the backend's `default-server`.
fn add_server_line(server: &str, port: u16, weight: u32, check_options: &str) -> String {
    format!("add server {server} 127.0.0.1:{port} check {check_options} weight {weight}")
}

/// Brings a server added in maintenance (at weight 0) into the backend, down until
/// `rise` checks pass. A server leaving maintenance counts as up until a check fails,
/// so it is marked down right after `enable server`; HAProxy's other threads may pick
/// servers between the two commands, so it gets its weight only once it is down (a
/// server of weight 0 takes no request), never serving a request while it boots.
fn enable_line(server: &str, weight: u32, drained: bool) -> String {
    let state = if drained { "drain" } else { "ready" };
    format!(
        "enable health {server}; enable server {server}; set server {server} health down; \
         set server {server} state {state}; set weight {server} {}",
        weight.min(256)
    )
}

/// The servers of [`BACKEND`] in `show stat`'s CSV.
pub(crate) fn parse_stats(csv: &str) -> Result<Vec<ServerStat>, String> {
    let mut lines = csv.lines();
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .ok_or_else(|| format!("unexpected `show stat` answer: {:?}", first_line(csv)))?;
    let columns: Vec<&str> = header.split(',').collect();
    let column = |name: &str| {
        columns
            .iter()
            .position(|c| *c == name)
            .ok_or_else(|| format!("`show stat` has no column {name}"))
    };
    let (pxname, svname, status, scur) = (
        column("pxname")?,
        column("svname")?,
        column("status")?,
        column("scur")?,
    );
    let mut out = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let field = |i: usize| fields.get(i).copied().unwrap_or("");
        if field(pxname) != BACKEND || matches!(field(svname), "BACKEND" | "FRONTEND" | "") {
            continue;
        }
        out.push(ServerStat {
            name: field(svname).to_string(),
            status: field(status).to_string(),
            current_sessions: field(scur).parse().unwrap_or(0),
        });
    }
    Ok(out)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// `haproxy` on the PATH, if any.
fn find_haproxy() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("haproxy"))
        .find(|candidate| candidate.is_file())
}

/// A loopback address with a port free now.
fn free_loopback_port() -> Result<std::net::SocketAddr, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_listens_on_loopback_and_checks_health() {
        let config = BalancerConfig {
            algorithm: Algorithm::LeastOutstanding,
            check_interval: SimDuration::from_millis(500),
            rise: 3,
            fall: 2,
        };
        let text = config_text(
            &config,
            "127.0.0.1:18080".parse().expect("an address"),
            Path::new("/tmp/x/admin.sock"),
        );
        assert!(text.contains("bind 127.0.0.1:18080"));
        assert!(text.contains("stats socket '/tmp/x/admin.sock' mode 600 level admin"));
        assert!(text.contains("balance leastconn"));
        assert!(text.contains("default-server inter 500ms rise 3 fall 2"));
        assert!(text.contains("option httpchk GET /health"));
    }

    #[test]
    fn added_servers_carry_the_models_health_checks() {
        // HAProxy 2.6 applies no `default-server` to a server added at run time.
        let config = BalancerConfig {
            algorithm: Algorithm::RoundRobin,
            check_interval: SimDuration::from_millis(500),
            rise: 3,
            fall: 2,
        };
        assert_eq!(
            add_server_line("layer/v1-5", 4000, 16, &check_options(&config)),
            "add server layer/v1-5 127.0.0.1:4000 check inter 500ms rise 3 fall 2 weight 16"
        );
        let enable = enable_line("layer/v1-5", 16, false);
        let down = enable.find("health down").expect("marked down");
        let weight = enable.find("set weight layer/v1-5 16").expect("weighted");
        assert!(enable.find("enable server").expect("enabled") < down && down < weight);
    }

    /// Needs `haproxy` on the PATH: `cargo test --release --lib live -- --ignored`.
    #[tokio::test]
    #[ignore = "needs HAProxy"]
    async fn haproxy_checks_an_added_server_with_the_models_thresholds() {
        let mut supervisor = Supervisor::new().expect("a temp dir");
        let config = BalancerConfig {
            algorithm: Algorithm::RoundRobin,
            check_interval: SimDuration::from_millis(500),
            rise: 4,
            fall: 1,
        };
        let proxy = start(&mut supervisor, &config)
            .await
            .expect("HAProxy starts");
        let port = free_loopback_port().expect("a port").port();
        let added = proxy.runtime.add_server("s1", port, 16, false).await;
        let csv = proxy.runtime.command("show stat").await;
        supervisor.shutdown().await;
        added.expect("added");
        let csv = csv.expect("stats");
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().expect("a header")[2..].split(',').collect();
        let column = |name: &str| header.iter().position(|c| *c == name).expect(name);
        let row: Vec<&str> = lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f.get(1) == Some(&"s1"))
            .expect("s1 in the stats");
        // HAProxy's defaults for a dynamic server would be rise 2, fall 3.
        assert_eq!(row[column("check_rise")], "4");
        assert_eq!(row[column("check_fall")], "1");
        // Down until checks pass, with its weight given after being marked down.
        assert_eq!(row[column("status")], "DOWN");
        assert_eq!(row[column("weight")], "16");
    }

    #[test]
    fn show_stat_yields_the_backends_servers() {
        let csv = "# pxname,svname,qcur,scur,status,check_status\n\
                   entry,FRONTEND,,0,OPEN,\n\
                   layer,v0-1,0,3,UP,L7OK\n\
                   layer,v1-2,0,0,DOWN 1/2,L7OK\n\
                   layer,v0-3,0,1,DRAIN,L7OK\n\
                   layer,BACKEND,0,4,UP,\n";
        let stats = parse_stats(csv).expect("parses");
        assert_eq!(stats.len(), 3);
        assert_eq!(stats[0].current_sessions, 3);
        assert!(stats[0].in_rotation() && stats[0].healthy());
        assert!(!stats[1].in_rotation() && !stats[1].healthy());
        assert!(!stats[2].in_rotation() && stats[2].healthy());
        assert!(parse_stats("Unknown command").is_err());
    }
}
