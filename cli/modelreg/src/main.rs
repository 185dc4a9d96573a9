//! `modelreg`: the operators' command line for the model registry. A thin shell over
//! `shared/registry`: it reads, compares, approves, rejects and registers versions against AWS
//! or the local emulator (`AWS_ENDPOINT_URL`).

use clap::{Parser, Subcommand};
use registry::clients::Clients;
use std::process::ExitCode;

mod commands;
mod output;

pub use commands::CliError;

const EXAMPLES: &str = "\
Examples:
  modelreg versions                                  every version, newest first
  modelreg versions --status PendingManualApproval   what waits for review
  modelreg show 3                                    everything a reviewer reads about v3
  modelreg compare 2 3                               metrics and hyperparameters side by side
  modelreg approve 3 --reason \"beats v2 on AUC\"      approve v3
  modelreg reject 4 --reason \"overfits\"              reject v4
  modelreg register s3://bucket/model/model.tar.gz   register an artifact that predates the deployment
  modelreg versions --json | jq '.[0]'               scripts read --json

Exit codes:
  0  success
  1  failure (AWS error, unreadable input)
  2  usage error
  3  not found (group, version, object)
  4  refused: the version is already in that state
  5  AWS unreachable or no credentials (local emulator not running?)

Environment: MODEL_PACKAGE_GROUP_NAME (default group), AWS_REGION, AWS_PROFILE or credentials,
AWS_ENDPOINT_URL and S3_FORCE_PATH_STYLE=true for the local emulator.";

#[derive(Parser, Debug)]
#[command(name = "modelreg", version, about = "See, compare, approve, reject and register model versions in the SageMaker Model Registry", after_help = EXAMPLES)]
struct Cli {
    /// Model package group.
    #[arg(long, global = true, env = "MODEL_PACKAGE_GROUP_NAME", default_value = registry::config::DEFAULT_GROUP)]
    group: String,
    /// Print JSON for scripts instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List versions, newest first: Version | Model Name | Accuracy | Status | Approval | Created.
    Versions {
        /// Only versions with this approval status (Approved, Rejected, PendingManualApproval).
        #[arg(long)]
        status: Option<String>,
    },
    /// Everything a reviewer reads about one version.
    Show { version: i32 },
    /// Metrics and hyperparameters of two versions side by side.
    Compare { a: i32, b: i32 },
    /// Approve a version.
    Approve {
        version: i32,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject a version (a reason is required).
    Reject {
        version: i32,
        #[arg(long)]
        reason: String,
    },
    /// Register an S3 artifact through the same path as the register-model function.
    Register {
        /// s3://bucket/key of the model.tar.gz
        uri: String,
        /// A metadata.json to use instead of the one beside the artifact.
        #[arg(long)]
        metadata: Option<std::path::PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let clients = match Clients::from_env().await {
        Ok(clients) => clients,
        Err(err) => {
            eprintln!("modelreg: {err}");
            return ExitCode::from(2);
        }
    };
    let ctx = commands::Ctx { clients, group: cli.group, json: cli.json };
    let result = match cli.command {
        Command::Versions { status } => commands::versions(&ctx, status.as_deref()).await,
        Command::Show { version } => commands::show(&ctx, version).await,
        Command::Compare { a, b } => commands::compare(&ctx, a, b).await,
        Command::Approve { version, reason } => commands::decide(&ctx, version, "Approved", reason.as_deref()).await,
        Command::Reject { version, reason } => commands::decide(&ctx, version, "Rejected", Some(&reason)).await,
        Command::Register { uri, metadata } => commands::register(&ctx, &uri, metadata.as_deref()).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("modelreg: {}", err.message);
            ExitCode::from(err.code)
        }
    }
}
