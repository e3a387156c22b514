use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = roomwatch::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            roomwatch::stderr::say(&format!("roomwatch: cannot start the async runtime: {e}"));
            return ExitCode::from(roomwatch::app::msg::exit_code::FATAL as u8);
        }
    };
    let code = runtime.block_on(roomwatch::run::run(cli));
    // Do not wait for a source task stuck in a long poll.
    runtime.shutdown_background();
    ExitCode::from(code as u8)
}
