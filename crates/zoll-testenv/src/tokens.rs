//! Real PKCS#11 tokens for tests, each started in its own temporary directory and stopped
//! (every process killed and reaped, the directory deleted) when dropped.
//!
//! - [`SoftHsm`]: a SoftHSM2 token store with one token (`softhsm2-util --init-token`).
//! - [`Tpm`]: a manufactured software TPM 2.0 (`swtpm_setup` with a local CA, then
//!   `swtpm socket`), a private D-Bus session bus, `tpm2-abrmd` on it, and a tpm2-pkcs11 store
//!   with one token (`tpm2_ptool init` + `addtoken`).
//!
//! Both have the same shape: `start()`, the `module` to load, the token `LABEL`/`PIN`, and
//! `env()`: the variables a process must have to see the token (PKCS#11 modules read them in
//! `C_Initialize`). Environment variables are process-wide and the test harness runs tests in
//! threads, so a test never sets them on itself: it hands `env()` to a child process, either
//! the `zoll` binary (CLI tests) or this test binary again ([`run_in_child`]).
//!
//! A missing tool is a test failure naming the Debian package to install, never a skip.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Token label, user PIN and SO PIN of every token made here.
pub const LABEL: &str = "zoll";
pub const PIN: &str = "1234";
pub const SO_PIN: &str = "5678";

pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const TPM2_PKCS11_MODULE: &str = "/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so";

/// Find `name` on PATH (or at one of `fallbacks`); the error names the Debian package.
pub fn tool(name: &str, package: &str, fallbacks: &[&str]) -> Result<PathBuf, String> {
    let env = format!("ZOLL_TOOL_{}", name.to_uppercase().replace(['-', '.'], "_"));
    crate::find_tool(name, &env, fallbacks)
        .map_err(|_| format!("{name} not found: install the Debian package {package}"))
}

fn module_file(path: &str, package: &str) -> Result<PathBuf, String> {
    if Path::new(path).is_file() {
        Ok(PathBuf::from(path))
    } else {
        Err(format!(
            "pkcs#11 module {path} not found: install the Debian package {package}"
        ))
    }
}

/// Run a command to completion; an error carries its output.
fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{cmd:?} failed ({}): {text}", out.status))
    }
}

fn temp_dir(prefix: &str) -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| format!("cannot make a temporary directory: {e}"))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A SoftHSM2 token store with one initialised token ([`LABEL`], [`PIN`], [`SO_PIN`]).
pub struct SoftHsm {
    dir: tempfile::TempDir,
    pub module: PathBuf,
}

impl SoftHsm {
    pub fn start() -> Result<SoftHsm, String> {
        let util = tool("softhsm2-util", "softhsm2", &[])?;
        let module = module_file(SOFTHSM_MODULE, "softhsm2")?;
        let dir = temp_dir("zoll-softhsm-")?;
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).map_err(|e| e.to_string())?;
        let hsm = SoftHsm { dir, module };
        write(
            &hsm.conf(),
            &format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                tokens.display()
            ),
        )?;
        run(Command::new(util)
            .args(["--init-token", "--free", "--label", LABEL, "--pin", PIN])
            .args(["--so-pin", SO_PIN])
            .envs(hsm.env()))?;
        Ok(hsm)
    }

    /// The `softhsm2.conf` of this store.
    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    /// `SOFTHSM2_CONF`.
    pub fn env(&self) -> Vec<(String, OsString)> {
        vec![("SOFTHSM2_CONF".to_owned(), self.conf().into_os_string())]
    }
}

/// A child process killed and reaped on drop.
struct Daemon {
    name: &'static str,
    child: Child,
}

impl Daemon {
    fn spawn(name: &'static str, cmd: &mut Command) -> Result<Daemon, String> {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        Ok(Daemon { name, child })
    }

    /// Fail early, with a clear message, when the daemon died.
    fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!("{} exited early: {status}", self.name)),
            Err(e) => Err(format!("cannot check {}: {e}", self.name)),
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two consecutive free ports (the swtpm TCTI talks to PORT and, for control, PORT+1).
fn free_port_pair() -> Result<u16, String> {
    for _ in 0..50 {
        let p = crate::free_port()?;
        if p < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return Ok(p);
        }
    }
    Err("no two consecutive free ports".to_owned())
}

fn wait_until(
    what: &str,
    timeout: Duration,
    mut ready: impl FnMut() -> Result<bool, String>,
) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if ready()? {
            return Ok(());
        }
        if start.elapsed() > timeout {
            return Err(format!("{what} not ready after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A software TPM 2.0 behind tpm2-abrmd on a private D-Bus, with a tpm2-pkcs11 store holding
/// one token ([`LABEL`], [`PIN`], [`SO_PIN`]).
pub struct Tpm {
    // Drop order is declaration order: the resource manager, then the bus, then the TPM,
    // then the directory.
    abrmd: Daemon,
    // Held only to be stopped on drop, in this order.
    #[allow(dead_code)]
    dbus: Daemon,
    #[allow(dead_code)]
    swtpm: Daemon,
    dir: tempfile::TempDir,
    pub module: PathBuf,
    /// The TPM's command port (its control port is `port + 1`).
    pub port: u16,
}

impl Tpm {
    pub fn start() -> Result<Tpm, String> {
        let swtpm_setup = tool("swtpm_setup", "swtpm-tools", &[])?;
        let localca = tool("swtpm_localca", "swtpm-tools", &[])?;
        let swtpm = tool("swtpm", "swtpm", &[])?;
        let dbus_daemon = tool("dbus-daemon", "dbus", &[])?;
        let abrmd = tool("tpm2-abrmd", "tpm2-abrmd", &["/usr/sbin/tpm2-abrmd"])?;
        let getrandom = tool("tpm2_getrandom", "tpm2-tools", &[])?;
        let ptool = tool("tpm2_ptool", "libtpm2-pkcs11-tools", &[])?;
        let module = module_file(TPM2_PKCS11_MODULE, "libtpm2-pkcs11-1")?;
        if !Path::new("/usr/lib/x86_64-linux-gnu/libtss2-tcti-tabrmd.so.0").is_file() {
            return Err(
                "libtss2-tcti-tabrmd.so.0 not found: install the Debian package libtss2-tcti-tabrmd0"
                    .to_owned(),
            );
        }

        let dir = temp_dir("zoll-tpm-")?;
        let d = dir.path();
        let (state, ca, store) = (d.join("state"), d.join("ca"), d.join("store"));
        for p in [&state, &ca, &store] {
            std::fs::create_dir(p).map_err(|e| format!("{}: {e}", p.display()))?;
        }

        // Manufacture the TPM: EK and platform certificates signed by a CA that lives in our
        // directory (the packaged config points at /var/lib/swtpm-localca).
        write(
            &d.join("swtpm_setup.conf"),
            &format!(
                "create_certs_tool = {}\ncreate_certs_tool_config = {}\ncreate_certs_tool_options = {}\nactive_pcr_banks = sha256\n",
                localca.display(),
                d.join("swtpm-localca.conf").display(),
                d.join("swtpm-localca.options").display()
            ),
        )?;
        write(
            &d.join("swtpm-localca.conf"),
            &format!(
                "statedir = {ca}\nsigningkey = {ca}/signkey.pem\nissuercert = {ca}/issuercert.pem\ncertserial = {ca}/certserial\n",
                ca = ca.display()
            ),
        )?;
        write(
            &d.join("swtpm-localca.options"),
            "--platform-manufacturer zoll\n--platform-version 2.1\n--platform-model test\n",
        )?;
        run(Command::new(&swtpm_setup)
            .args([
                "--tpm2",
                "--create-ek-cert",
                "--create-platform-cert",
                "--overwrite",
            ])
            .arg("--tpmstate")
            .arg(&state)
            .arg("--config")
            .arg(d.join("swtpm_setup.conf"))
            .arg("--logfile")
            .arg(d.join("swtpm_setup.log")))
        .map_err(|e| {
            let log = std::fs::read_to_string(d.join("swtpm_setup.log")).unwrap_or_default();
            format!("{e}\nswtpm_setup.log:\n{log}")
        })?;

        let port = free_port_pair()?;
        let mut swtpm = Daemon::spawn(
            "swtpm",
            Command::new(&swtpm)
                .args(["socket", "--tpm2"])
                .arg(format!("--tpmstate=dir={}", state.display()))
                .arg(format!("--server=type=tcp,port={port},bindaddr=127.0.0.1"))
                .arg(format!(
                    "--ctrl=type=tcp,port={},bindaddr=127.0.0.1",
                    port + 1
                ))
                .args(["--flags", "not-need-init,startup-clear"]),
        )?;
        crate::wait_for_port(port, Duration::from_secs(10))
            .and_then(|()| crate::wait_for_port(port + 1, Duration::from_secs(10)))
            .map_err(|e| match swtpm.check_alive() {
                Err(dead) => dead,
                Ok(()) => e,
            })?;

        // A private session bus whose socket lives in our directory.
        let bus = d.join("bus");
        let address = format!("unix:path={}", bus.display());
        let mut dbus = Daemon::spawn(
            "dbus-daemon",
            Command::new(&dbus_daemon)
                .args(["--session", "--nofork", "--nopidfile"])
                .arg(format!("--address={address}")),
        )?;
        wait_until("dbus-daemon", Duration::from_secs(10), || {
            dbus.check_alive()?;
            Ok(bus.exists())
        })?;

        let abrmd = Daemon::spawn(
            "tpm2-abrmd",
            Command::new(&abrmd)
                .args(["--session", "--allow-root"])
                .arg(format!("--tcti=swtpm:host=127.0.0.1,port={port}"))
                .env("DBUS_SESSION_BUS_ADDRESS", &address),
        )?;
        // From here on, an early return drops `tpm`, which stops everything started so far.
        let mut tpm = Tpm {
            abrmd,
            dbus,
            swtpm,
            dir,
            module,
            port,
        };
        let env = tpm.env();
        wait_until("tpm2-abrmd", Duration::from_secs(20), || {
            tpm.abrmd.check_alive()?;
            let ok = Command::new(&getrandom)
                .arg("8")
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map_err(|e| format!("cannot run tpm2_getrandom: {e}"))?
                .success();
            Ok(ok)
        })?;

        // The tpm2-pkcs11 store: a primary key, then one token under it.
        let init = run(Command::new(&ptool).arg("init").envs(env.clone()))?;
        let pid = init
            .lines()
            .find_map(|l| l.trim().strip_prefix("id:"))
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| format!("tpm2_ptool init printed no id: {init}"))?;
        run(Command::new(&ptool)
            .arg("addtoken")
            .arg(format!("--pid={pid}"))
            .arg(format!("--label={LABEL}"))
            .arg(format!("--userpin={PIN}"))
            .arg(format!("--sopin={SO_PIN}"))
            .envs(env))?;
        Ok(tpm)
    }

    /// `DBUS_SESSION_BUS_ADDRESS`, `TPM2_PKCS11_TCTI`, `TPM2_PKCS11_STORE` (for the module)
    /// and `TPM2TOOLS_TCTI` (for tpm2-tools and `tpm2_ptool`).
    pub fn env(&self) -> Vec<(String, OsString)> {
        let d = self.dir.path();
        vec![
            (
                "DBUS_SESSION_BUS_ADDRESS".to_owned(),
                format!("unix:path={}", d.join("bus").display()).into(),
            ),
            (
                "TPM2_PKCS11_TCTI".to_owned(),
                "tabrmd:bus_type=session".into(),
            ),
            (
                "TPM2TOOLS_TCTI".to_owned(),
                "tabrmd:bus_type=session".into(),
            ),
            (
                "TPM2_PKCS11_STORE".to_owned(),
                d.join("store").into_os_string(),
            ),
        ]
    }
}

/// Set in the child process [`run_in_child`] starts; holds the test's name.
pub const CHILD_ENV: &str = "ZOLL_IT_CHILD";

/// Whether this process is the child [`run_in_child`] started for `test`.
pub fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == test)
}

/// Run the test named `test` (its full name in this binary) again in a child process with
/// `env` set and [`CHILD_ENV`] = `test`, and fail unless exactly that test ran and passed.
/// The child's output is printed (the harness shows it for failing tests or `--nocapture`).
pub fn run_in_child(test: &str, env: &[(String, OsString)]) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the test binary: {e}"))?;
    let out = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env(CHILD_ENV, test)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run the test binary: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("--- child process for {test} ---\n{text}--- end of child ---");
    if !out.status.success() {
        return Err(format!(
            "the child process for {test} failed ({})",
            out.status
        ));
    }
    if !text.contains("test result: ok. 1 passed") {
        return Err(format!("the child process did not run {test}"));
    }
    Ok(())
}
