//! `zoll-testimages`: the command-line face of the crate, for benchmarks and CI scripts.
//!
//! - `zoll-testimages list`: one image name a line.
//! - `zoll-testimages build [NAME...]`: builds (or takes from the cache) the named images, all of
//!   them when none is named, and prints a JSON array of their paths on stdout; progress goes to
//!   stderr.
//! - `zoll-testimages gc`: removes cached images of outdated recipe hashes, printing each path.
//!
//! Exit code 2 on error.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

const USAGE: &str =
    "usage: zoll-testimages list | zoll-testimages build [NAME...] | zoll-testimages gc";

fn run(args: &[String]) -> Result<()> {
    match args.split_first() {
        Some((cmd, rest)) if cmd == "list" => {
            if !rest.is_empty() {
                bail!("`list` takes no arguments\n{USAGE}");
            }
            for name in zoll_testimages::names() {
                println!("{name}");
            }
            Ok(())
        }
        Some((cmd, rest)) if cmd == "build" => {
            let names: Vec<&str> = if rest.is_empty() {
                zoll_testimages::names().to_vec()
            } else {
                rest.iter().map(String::as_str).collect()
            };
            let mut built = Vec::new();
            for name in names {
                built.push(zoll_testimages::build(name)?);
            }
            let json = serde_json::to_string_pretty(&built).context("could not serialize")?;
            println!("{json}");
            Ok(())
        }
        Some((cmd, rest)) if cmd == "gc" => {
            if !rest.is_empty() {
                bail!("`gc` takes no arguments\n{USAGE}");
            }
            for path in zoll_testimages::prune_stale()? {
                println!("{}", path.display());
            }
            Ok(())
        }
        Some((cmd, _)) if cmd == "-h" || cmd == "--help" || cmd == "help" => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
