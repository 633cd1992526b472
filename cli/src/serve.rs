//! `directrix serve`: the host ([`directrix_host`]), its tokens and its check.

use crate::Reported;
use clap::Subcommand;
use directrix_host::store::{Location, Principal};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(subcommand_negates_reqs = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Option<ServeCommand>,
    /// The data directory: everything is kept in DIR/directrix.db (SQLite, one node).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "database",
        conflicts_with = "database"
    )]
    data: Option<PathBuf>,
    /// Keep everything in this PostgreSQL database instead (postgres://...): several
    /// nodes may serve one database.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Address to listen on (port 0: any free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Run a virtual clock from this instant (RFC 3339) instead of the system's. It is
    /// kept in the data directory: a restart continues it.
    #[arg(long, value_name = "RFC3339")]
    clock: Option<String>,
    /// Virtual seconds per real second, with --clock.
    #[arg(long, value_name = "N")]
    speed: Option<f64>,
    /// Store this workflow before serving (repeatable), with the shared calendars and
    /// registries beside it (`calendars/NAME.ron`, `registries/NAME.ron`); its hash is
    /// printed.
    #[arg(long, value_name = "FILE")]
    load: Vec<PathBuf>,
    /// Snapshot an instance every N journal rows.
    #[arg(long, value_name = "N", default_value_t = 100)]
    snapshot_every: i64,
    /// Largest request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    max_body: usize,
    /// Longest a request may take, in seconds (reading its body included).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    request_timeout: u64,
    /// Serve the demo portal at / from this built `wasm` folder (its demo/ and the pkg/
    /// that `bash wasm/build` writes). Default: this source tree's, when built.
    #[arg(long, value_name = "DIR", conflicts_with = "no_portal")]
    portal: Option<PathBuf>,
    /// Serve the API only.
    #[arg(long)]
    no_portal: bool,
}

#[derive(Debug, Subcommand)]
enum ServeCommand {
    /// Print a new random token once (only its hash is stored); or list or revoke them.
    Token {
        #[command(flatten)]
        at: Database,
        /// The agency the token acts as.
        #[arg(
            long,
            required_unless_present_any = ["admin", "list", "revoke"],
            conflicts_with_all = ["admin", "list", "revoke"]
        )]
        agency: Option<String>,
        /// An admin token: loads workflows and starts instances; acts as no agency.
        #[arg(long, conflicts_with_all = ["list", "revoke"])]
        admin: bool,
        /// List the tokens: short id, agency or admin, created, revoked (never a token).
        #[arg(long, conflicts_with = "revoke")]
        list: bool,
        /// Revoke the token with this short id (or a longer prefix of its hash); running
        /// servers refuse it within about a second.
        #[arg(long, value_name = "ID")]
        revoke: Option<String>,
    },
    /// Replay every instance's whole journal and compare with what is stored; exits 1
    /// on any difference.
    Check {
        #[command(flatten)]
        at: Database,
    },
}

/// Where the offline commands find the database: as `serve` was given it.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
struct Database {
    /// The data directory (SQLite).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The PostgreSQL database (postgres://...).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

impl Database {
    fn location(self) -> Result<Location, String> {
        Location::choose(self.data, self.database)
    }
}

pub(crate) fn run(args: Args) -> Result<(), Reported> {
    let fail = |message: String| {
        eprintln!("error: {message}");
        Reported
    };
    match args.command {
        Some(ServeCommand::Token { at, list: true, .. }) => {
            let data = at.location().map_err(fail)?;
            let time = |at: Option<i64>| {
                at.map(|at| {
                    directrix_core::Timestamp::from_seconds(at)
                        .to_rfc3339(directrix_core::time::UtcOffset::UTC)
                })
            };
            for token in directrix_host::list_tokens(&data).map_err(fail)? {
                let whose = match &token.principal {
                    Principal::Admin => "admin".to_owned(),
                    Principal::Agency(agency) => format!("agency {agency}"),
                };
                let created = time(token.created)
                    .map_or_else(|| "created -".to_owned(), |at| format!("created {at}"));
                match time(token.revoked) {
                    Some(revoked) => outln!("{}  {whose}  {created}  revoked {revoked}", token.id),
                    None => outln!("{}  {whose}  {created}", token.id),
                }
            }
            Ok(())
        }
        Some(ServeCommand::Token {
            at,
            revoke: Some(id),
            ..
        }) => {
            let data = at.location().map_err(fail)?;
            let id = directrix_host::revoke_token(&data, &id).map_err(fail)?;
            outln!("revoked {id}");
            Ok(())
        }
        Some(ServeCommand::Token {
            at, agency, admin, ..
        }) => {
            let data = at.location().map_err(fail)?;
            let principal = match agency {
                Some(agency) if !admin => Principal::Agency(agency),
                _ => Principal::Admin,
            };
            let token = directrix_host::create_token(&data, &principal).map_err(fail)?;
            outln!("{token}");
            Ok(())
        }
        Some(ServeCommand::Check { at }) => {
            let data = at.location().map_err(fail)?;
            let checks = directrix_host::check(&data).map_err(fail)?;
            let mut bad = 0;
            for check in &checks {
                if check.problems.is_empty() {
                    outln!(
                        "instance {}: ok ({} journal rows, {} effects)",
                        check.id,
                        check.rows,
                        check.effects
                    );
                } else {
                    bad += 1;
                    for problem in &check.problems {
                        outln!("instance {}: MISMATCH: {problem}", check.id);
                    }
                }
            }
            outln!("{} instances checked, {bad} mismatched", checks.len());
            if bad == 0 { Ok(()) } else { Err(Reported) }
        }
        None => {
            let database = Location::choose(args.data, args.database).map_err(fail)?;
            let mut options = directrix_host::ServeOptions::new(database);
            options.listen = args.listen;
            options.clock = args.clock;
            options.speed = args.speed;
            options.snapshot_every = args.snapshot_every;
            options.limits.body_bytes = args.max_body;
            options.limits.request_timeout = Duration::from_secs(args.request_timeout.max(1));
            options.portal = args.portal;
            options.no_portal = args.no_portal;
            for path in &args.load {
                let file = crate::WorkflowFile::read(path).map_err(|unreadable| {
                    unreadable.report();
                    Reported
                })?;
                options.preload.push(file.into_upload());
            }
            directrix_host::serve(options).map_err(fail)
        }
    }
}
