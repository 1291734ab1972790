//! The `tongban` binary: one command to serve, migrate, seed, configure and benchmark.

mod bench;
mod catalog;
mod certificate;
mod logging;
mod oidc;
mod search;
mod secrets;
mod serve;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "tongban",
    version,
    about = "通办 Tongban: a one-stop government service platform"
)]
struct Cli {
    /// Configuration file (TOML); `./tongban.toml` is read when present.
    #[arg(long, short, global = true, env = "TONGBAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform (the default). With no configuration: demo mode on ./data/tongban.db.
    Serve(serve::ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(serve::DatabaseArgs),
    /// Load data into the database.
    Seed {
        #[command(subcommand)]
        what: SeedCommand,
    },
    /// Print configuration.
    Config {
        #[command(subcommand)]
        what: ConfigCommand,
    },
    /// Helpers for demo mode.
    Demo {
        #[command(subcommand)]
        what: DemoCommand,
    },
    /// Staff accounts (the first security administrator of a deployment; the rest in the browser).
    Staff {
        #[command(subcommand)]
        what: StaffCommand,
    },
    /// Work with the audit trail.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Once-only data exchange between departments: the evidence log.
    Exchange {
        #[command(subcommand)]
        what: ExchangeCommand,
    },
    /// OpenID Connect: department systems that sign people in, and signing keys.
    Oidc {
        #[command(subcommand)]
        what: oidc::OidcCommand,
    },
    /// The service catalogue as YAML: export a region or a department, import a file.
    Catalog {
        #[command(subcommand)]
        what: catalog::CatalogCommand,
    },
    /// The full-text search index.
    Search {
        #[command(subcommand)]
        what: search::SearchCommand,
    },
    /// E-certificates: verify one offline or against the issuing platform.
    Certificate {
        #[command(subcommand)]
        what: certificate::CertificateCommand,
    },
    /// Measure throughput, latency, memory, start-up time and page sizes over HTTP.
    Bench(bench::BenchArgs),
}

#[derive(Subcommand)]
enum SeedCommand {
    /// The fictional demo region 示范市; adds only what is missing.
    Demo(serve::DatabaseArgs),
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Print the current authenticator code of a demo staff account (e.g. `sj.reviewer`).
    Totp {
        /// The staff user name.
        user: String,
        #[command(flatten)]
        db: serve::DatabaseArgs,
    },
    /// Print an access token of the demo OpenID Connect client for a demo person, for calling
    /// the JSON API (e.g. `POST /api/v1/applications`) from scripts and benchmarks.
    Token {
        /// The person's mobile number or resident ID number, from demo/accounts.yaml.
        #[arg(long)]
        user: String,
        /// Lifetime of the token in minutes (at most a day).
        #[arg(long, default_value_t = 60)]
        minutes: i64,
        #[command(flatten)]
        db: serve::DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a staff account and print its one-time initial password.
    Add {
        /// Sign-in name: lower-case letters, digits, `.`, `_`, `-`, starting with a letter.
        #[arg(long)]
        username: String,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// Region code, e.g. 990100.
        #[arg(long)]
        region: String,
        /// Department code within the region (for department roles), e.g. SJ.
        #[arg(long)]
        department: Option<String>,
        /// A role to grant (repeatable), e.g. security-admin.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[command(flatten)]
        db: serve::DatabaseArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every hash of the audit chain; exits non-zero where it is broken.
    Verify(serve::DatabaseArgs),
}

#[derive(Subcommand)]
enum ExchangeCommand {
    /// Check every entry of the evidence log: the hash chain and each entry's seal by the
    /// requesting department; exits non-zero at the first entry that fails.
    VerifyLog(serve::DatabaseArgs),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// A commented example configuration with every default.
    Default,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `tongban certificate` documents exit code 64 for bad arguments (a verifier's
        // non-zero codes each mean a verdict); other commands keep clap's 2.
        Err(error) if error.use_stderr() && certificate::is_invoked(std::env::args_os()) => {
            let _ = error.print();
            return ExitCode::from(certificate::EXIT_USAGE);
        }
        Err(error) => error.exit(),
    };
    let config = cli.config.as_deref();
    let result = match cli
        .command
        .unwrap_or(Command::Serve(serve::ServeArgs::default()))
    {
        Command::Serve(args) => serve::serve(config, args),
        Command::Migrate(args) => serve::migrate(config, args),
        Command::Catalog { what } => catalog::run(config, what),
        Command::Seed {
            what: SeedCommand::Demo(args),
        } => serve::seed_demo(config, args),
        Command::Config {
            what: ConfigCommand::Default,
        } => {
            print!("{}", settings::EXAMPLE);
            Ok(())
        }
        Command::Demo {
            what: DemoCommand::Totp { user, db },
        } => serve::demo_totp(config, db, &user),
        Command::Demo {
            what: DemoCommand::Token { user, minutes, db },
        } => serve::demo_token(config, db, &user, minutes),
        Command::Staff {
            what:
                StaffCommand::Add {
                    username,
                    name,
                    region,
                    department,
                    roles,
                    db,
                },
        } => serve::staff_add(
            config,
            db,
            serve::StaffAddArgs {
                username,
                name,
                region,
                department,
                roles,
            },
        ),
        Command::Audit {
            what: AuditCommand::Verify(args),
        } => serve::verify_audit(config, args),
        Command::Exchange {
            what: ExchangeCommand::VerifyLog(args),
        } => serve::verify_exchange_log(config, args),
        Command::Oidc { what } => oidc::run(config, what),
        Command::Search { what } => search::run(config, what),
        Command::Certificate { what } => return certificate::run(what),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tongban: {error:#}");
            ExitCode::FAILURE
        }
    }
}
