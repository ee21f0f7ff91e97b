//! `deconflict`: the binary and composition root. Parses the command line, wires the crates
//! together and reports; no domain logic lives here.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use deconflict_bench::run::{TheatreOptions, run_theatre};

/// deconflict: a neutral service where parties that share a conflict zone file their planned
/// operations as 4D volumes and learn of every conflict before anything moves.
#[derive(Debug, Parser)]
#[command(name = "deconflict", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure the engine on a workload (see `deconflict bench theatre --help`).
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Load the theatre ops, run the theatre queries, report build time, queries/s, p50/p99 and
    /// resident memory; with --postgis, run the same workload against PostgreSQL + PostGIS in the
    /// same run, check that both give identical hits, and report the ratio.
    ///
    /// Make the workload with the shared generator:
    ///   python3 ../shared/bench/gen_theatre.py --kind ops --n 100000 --seed 1 > ops.jsonl
    ///   python3 ../shared/bench/gen_theatre.py --kind queries --n 10000 --seed 2 > queries.jsonl
    #[command(verbatim_doc_comment)]
    Theatre(TheatreArgs),
}

#[derive(Debug, Args)]
struct TheatreArgs {
    /// JSON Lines of ops (`gen_theatre.py --kind ops`).
    #[arg(long, value_name = "OPS.jsonl")]
    ops: PathBuf,
    /// JSON Lines of queries (`gen_theatre.py --kind queries`).
    #[arg(long, value_name = "QUERIES.jsonl")]
    queries: PathBuf,
    /// Write one line per query, {"id": Q, "hits": [sorted op ids]}, to this file.
    #[arg(long, value_name = "OUT.jsonl")]
    answers: Option<PathBuf>,
    /// Also run the PostGIS baseline on this database, e.g. postgres://postgres@127.0.0.1/postgres
    /// (needs the PostGIS extension: scripts/install-postgis.sh).
    #[arg(long, value_name = "URL", env = "DECONFLICT_POSTGIS_URL")]
    postgis: Option<String>,
    /// Print the figures as one JSON object on the last line of standard output.
    #[arg(long)]
    json: bool,
}

fn bench_theatre(args: TheatreArgs) -> anyhow::Result<()> {
    let opts = TheatreOptions {
        ops: args.ops,
        queries: args.queries,
        answers: args.answers,
        postgis: args.postgis,
    };
    let mut stderr = std::io::stderr();
    let report = run_theatre(&opts, &mut |line| {
        // Progress is best effort: a closed stderr must not abort the benchmark.
        let _ = writeln!(stderr, "{line}");
    })?;
    if let Some(pg) = &report.postgis
        && pg.mismatched_queries > 0
    {
        anyhow::bail!(
            "{} queries answered differently by PostGIS (first: query {:?})",
            pg.mismatched_queries,
            pg.first_mismatch
        );
    }
    if args.json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer(&mut stdout, &report).context("writing the report")?;
        writeln!(stdout).context("writing the report")?;
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Bench(BenchCommand::Theatre(args)) => bench_theatre(args),
    }
}
