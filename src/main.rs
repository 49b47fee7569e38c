//! The `opsdeck` binary: parse the command line, install hooks, run.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    opsdeck::entry()
}
