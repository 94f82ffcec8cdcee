//! Dockerfile parsing and linting, no IO.
//!
//! This crate owns zoll's reading of Dockerfiles ([`parse`] → [`Dockerfile`]) and the rules
//! `zoll lint Dockerfile` and the `config` scanner of `zoll scan` apply to them ([`lint`] →
//! [`zoll_core::CheckFinding`]s, [`rules`] for the list).
//!
//! # Rule ids
//!
//! Where hadolint has the same rule, zoll uses hadolint's id (`DL3007`) and hadolint's
//! semantics, checked against hadolint itself by the `agrees_with_hadolint_on_every_mapped_rule`
//! test over the corpus in `tests/corpus/`. Rules hadolint lacks get zoll ids `ZDnnn`:
//!
//! | id | rule |
//! | --- | --- |
//! | `ZD001` | base image not pinned by digest (low) |
//! | `ZD002` | remote script piped into a shell or interpreter (`curl … \| sh`) |
//! | `ZD003` | `ADD` from a URL without `--checksum` (hadolint exempts URLs from DL3020 and has no rule for them) |
//! | `ZD004` | no `HEALTHCHECK` in the final stage or a stage it builds on (Dockle's CIS-DI-0006) |
//! | `ZD005` | secret-looking `ENV`/`ARG` name with a literal value (evidence is redacted) |
//!
//! Inline suppressions use hadolint's syntax on the line just before an instruction:
//! `# hadolint ignore=DL3008,DL3015` or `# zoll ignore=ZD002`; `# hadolint global ignore=...`
//! (or `zoll global`) anywhere suppresses for the whole file.
//!
//! # Where zoll deliberately differs from hadolint
//!
//! - `FROM` images are expanded with the defaults of the `ARG`s declared before the first
//!   `FROM`: `ARG BASE=ubuntu:latest` + `FROM $BASE` is DL3007. hadolint does not expand and
//!   says nothing. An image that needs a build argument without a default is not judged by any
//!   `FROM` rule (its value is only known at build time).
//! - Stage names match case-insensitively, as BuildKit matches them (hadolint: exactly).
//! - DL3013 also recognises pip named by path (`/opt/venv/bin/pip install flask`).
//! - Parse errors are errors: hadolint reports DL1000 and goes on; zoll refuses the file with
//!   the line, like `docker build` does.
//!
//! # Hand-written parts
//!
//! The Dockerfile grammar is small and BuildKit-specific (escape directive, comment lines
//! inside continuations, here-documents), and no Rust crate implements it with line numbers, so
//! it is hand-written ([`parse`]). Shell commands are split by a small hand-written lexer
//! ([`shell`]) rather than `shell-words`: the rules need operators (`&&`, `|`, `;`), pipelines,
//! command substitutions and here-documents, which a word splitter does not give. Variable
//! expansion for `FROM` is hand-written too ([`expand`]): a handful of `${...}` forms.
//! JSON (exec) form is read with `serde_json`.

mod expand;
mod parse;
mod rules;
pub mod shell;

pub use expand::{Vars, expand};
pub use parse::{
    CommandLine, Dockerfile, Flag, From, Healthcheck, Heredoc, Instruction, Kind, ParseError, Run,
    Transfer, parse,
};
pub use rules::{LintOptions, RuleInfo, is_secret_assignment, lint, rules};
