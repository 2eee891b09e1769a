//! The `rollsim` binary: all the work is in the library; see `rollsim --help`.

fn main() -> std::process::ExitCode {
    rollsim::cli::main()
}
