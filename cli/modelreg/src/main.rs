//! `modelreg`: the operators' command line for the model registry. A thin shell over
//! `shared/registry`: it reads, compares, approves, rejects and registers versions against AWS
//! or the local emulator (`AWS_ENDPOINT_URL`).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod commands;
mod event;
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
  modelreg event 3 --previous-status PendingManualApproval > approved.json
                                                     the EventBridge event of v3's approval, to replay
  modelreg --group other-group versions              another model package group
  modelreg versions --json | jq '.[0].version'       scripts read --json (fields: `modelreg help <command>`)

Exit codes:
  0  success
  1  failure: an AWS error or an unreadable input (the message says which)
  2  usage error: bad arguments, a key that is not a model artifact, a missing --reason
  3  not found: the group, the version or the S3 object does not exist
  4  refused: the version is already in that state (nothing changed)
  5  cannot talk to AWS: endpoint unreachable (local emulator not running?), no or rejected
     credentials, no region

Errors go to stderr as one line starting with `modelreg:`, with --json too.

Environment: MODEL_PACKAGE_GROUP_NAME (default group), AWS_REGION, AWS_PROFILE or
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL and S3_FORCE_PATH_STYLE=true for the
local emulator; `register` also reads the register-model variables (REGISTRY_PREFIX,
INFERENCE_IMAGE_URI, MODEL_APPROVAL_STATUS...).";

const VERSIONS_HELP: &str = "\
The version marked `*` is the newest Approved version of the group: the one a deployment of
\"the latest approved model\" picks up. modelreg does not look at endpoints.

--json prints an array, newest first, of
  {version, model_name, accuracy (number or null), status, approval, created, production, arn}
where `production` is true for the version marked `*`.";

const SHOW_HELP: &str = "\
SageMaker keeps only the latest approval decision: its status, description, and who last
modified the version and when (LastModifiedBy/LastModifiedTime). When the endpoint does not
record who, `by` says so.

--json prints {version, arn, group, approval, status, description, created, artifact, image,
content_types, response_types, evaluation, lineage {generated_by, source, training_job},
metrics, hyperparameters, data, decision {status, description, by, at}, metadata (the
version's CustomerMetadataProperties), document_uri, document (the full metadata document,
null when unreadable), missing, notes}.";

const COMPARE_HELP: &str = "\
Values come from each version's full metadata document, else its CustomerMetadataProperties.
The difference is b - a, for values that are numbers on both sides; `<` marks values that differ.

--json prints {a, b, metrics: [...], hyperparameters: [...]} with entries
  {name, a, b, difference (string or null), same (bool)}.";

const DECIDE_HELP: &str = "\
Refuses (exit 4) a version already in that state, and (exit 3) one that does not exist.
The reason becomes the version's ApprovalDescription; without one, approve records
\"no reason given\" so that an earlier decision's reason does not linger.

--json prints {version, arn, previous, approval, reason}.";

const REGISTER_HELP: &str = "\
The same registration path as the register-model function: metadata.json and evaluation.json
beside the artifact, an immutable copy under REGISTRY_PREFIX, exactly one version per S3 object
version (running it twice answers `duplicate` with the existing version).

--json prints {key, status (registered | duplicate), arn, version, reason}.";

/// Approval statuses, spelled as SageMaker spells them (any case accepted).
const STATUSES: [&str; 3] = ["Approved", "Rejected", "PendingManualApproval"];

fn parse_status(text: &str) -> Result<String, String> {
    STATUSES
        .iter()
        .find(|status| status.eq_ignore_ascii_case(text))
        .map(|status| status.to_string())
        .ok_or_else(|| format!("expected one of {}", STATUSES.join(", ")))
}

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
    #[command(after_help = VERSIONS_HELP)]
    Versions {
        /// Only versions with this approval status: Approved, Rejected, PendingManualApproval.
        #[arg(long, value_parser = parse_status)]
        status: Option<String>,
    },
    /// Everything a reviewer reads about one version.
    #[command(after_help = SHOW_HELP)]
    Show {
        #[arg(value_parser = clap::value_parser!(i32).range(1..))]
        version: i32,
    },
    /// Metrics and hyperparameters of two versions side by side, with differences.
    #[command(after_help = COMPARE_HELP)]
    Compare {
        #[arg(value_parser = clap::value_parser!(i32).range(1..))]
        a: i32,
        #[arg(value_parser = clap::value_parser!(i32).range(1..))]
        b: i32,
    },
    /// Approve a version.
    #[command(after_help = DECIDE_HELP)]
    Approve {
        #[arg(value_parser = clap::value_parser!(i32).range(1..))]
        version: i32,
        /// Why: recorded as the version's ApprovalDescription.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject a version (a reason is required).
    #[command(after_help = DECIDE_HELP)]
    Reject {
        #[arg(value_parser = clap::value_parser!(i32).range(1..))]
        version: i32,
        /// Why: recorded as the version's ApprovalDescription; reviewers and notifications read it.
        #[arg(long)]
        reason: String,
    },
    /// Register an S3 artifact through the same path as the register-model function.
    #[command(after_help = REGISTER_HELP)]
    Register {
        /// s3://bucket/key of the model.tar.gz
        uri: String,
        /// A local metadata.json to use instead of the one beside the artifact.
        #[arg(long)]
        metadata: Option<std::path::PathBuf>,
    },
    /// Print the EventBridge "SageMaker Model Package State Change" event of a version's last
    /// change, as SageMaker emits it: for replaying a decision to approval-handler, and for the
    /// local emulator, which emits no events. Always JSON.
    Event {
        #[arg(value_parser = clap::value_parser!(i32).range(1..))]
        version: i32,
        /// The approval status before the change (an approval or rejection); omit for the
        /// version's creation (a review request).
        #[arg(long)]
        previous_status: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = run(cli).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("modelreg: {}", err.message);
            ExitCode::from(err.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = commands::Ctx::from_env(cli.group, cli.json).await?;
    match cli.command {
        Command::Versions { status } => commands::versions(&ctx, status.as_deref()).await,
        Command::Show { version } => commands::show(&ctx, version).await,
        Command::Compare { a, b } => commands::compare(&ctx, a, b).await,
        Command::Approve { version, reason } => commands::decide(&ctx, version, commands::Decision::Approve, reason.as_deref()).await,
        Command::Reject { version, reason } => commands::decide(&ctx, version, commands::Decision::Reject, Some(&reason)).await,
        Command::Register { uri, metadata } => commands::register(&ctx, &uri, metadata.as_deref()).await,
        Command::Event { version, previous_status } => {
            let package = commands::find(&ctx, version).await?;
            output::print_json(&event::build(&package, previous_status.as_deref()));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_any_case_status_when_parsed_then_sagemaker_spelling() {
        assert_eq!(parse_status("approved"), Ok("Approved".to_string()));
        assert_eq!(parse_status("PENDINGMANUALAPPROVAL"), Ok("PendingManualApproval".to_string()));
        assert!(parse_status("Pending").unwrap_err().contains("PendingManualApproval"));
    }

    #[test]
    fn given_cli_definition_when_checked_then_clap_accepts_it() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
