use clap::Parser;
use std::process::ExitCode;

// Events are allocated on the sources' thread and freed on the main one: glibc's malloc serves that through
// its arena locks and slow paths, mimalloc through per-thread free lists (decisions.md, "Ingest speed,
// seventh steps").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // The sources (fetch and parse) get a worker thread of their own, so they use the second core while the
    // runner reduces and writes on this one. Without it they share the runner's thread.
    let sources = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("roomwatch-sources")
        .enable_all()
        .build();
    match &sources {
        Ok(rt) => roomwatch::sources::supervisor::run_sources_on(rt.handle().clone()),
        Err(e) => roomwatch::stderr::say(&format!(
            "roomwatch: no thread of their own for the sources ({e}); they share the main thread"
        )),
    }
    let code = runtime.block_on(roomwatch::run::run(cli));
    // Do not wait for a source task stuck in a long poll.
    runtime.shutdown_background();
    if let Ok(rt) = sources {
        rt.shutdown_background();
    }
    ExitCode::from(code as u8)
}
