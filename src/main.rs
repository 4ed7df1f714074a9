fn main() -> std::process::ExitCode {
    partnerhub::cli::main()
}
