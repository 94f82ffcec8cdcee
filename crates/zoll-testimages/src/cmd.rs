//! Running external tools (umoci, skopeo, mmdebstrap, pip, npm, cargo, go, zip, tar) with error
//! messages that name the command, its exit status and the tail of its stderr, and checking up
//! front that a tool exists, naming the package that provides it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// How much of a failed command's stderr (and stdout) goes into the error message.
const TAIL_CHARS: usize = 4000;

/// Finds `tool` on `PATH`, or fails with a message saying how to install it (`hint`, e.g.
/// "apt-get install -y umoci").
pub(crate) fn require(tool: &str, hint: &str) -> Result<PathBuf> {
    if let Some(path) = which(tool) {
        return Ok(path);
    }
    bail!("required tool `{tool}` not found on PATH; install it with: {hint}")
}

/// The first executable file called `name` in a `PATH` directory.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs_err::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A command line for messages: program and arguments, space-separated.
fn display(cmd: &Command) -> String {
    let mut out = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        out.push(' ');
        out.push_str(&arg.to_string_lossy());
    }
    if let Some(dir) = cmd.get_current_dir() {
        out.push_str(&format!(" (in {})", dir.display()));
    }
    out
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let start = text
        .char_indices()
        .rev()
        .nth(TAIL_CHARS)
        .map_or(0, |(index, _)| index);
    let prefix = if start > 0 { "..." } else { "" };
    format!("{prefix}{}", &text[start..])
}

/// Runs `cmd` to completion, capturing its output; returns stdout, or an error naming the command
/// line, its exit status and the end of its stderr and stdout.
pub(crate) fn run(cmd: &mut Command) -> Result<String> {
    let line = display(cmd);
    let output = cmd
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    if !output.status.success() {
        bail!(
            "`{line}` failed ({})\n--- stderr ---\n{}\n--- stdout ---\n{}",
            output.status,
            tail(&output.stderr),
            tail(&output.stdout)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Shorthand: a `Command` for `program` with `args`.
pub(crate) fn command<I, S>(program: impl AsRef<OsStr>, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.args(args);
    cmd
}
