//! The cold start refuses a bad configuration with a message naming the variable, before it
//! ever asks the Lambda Runtime API for an event.

use std::process::Command;

fn cold_start(vars: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_register-model"));
    command
        .env_clear()
        .env("AWS_REGION", "us-east-1")
        // A Runtime API nobody serves: a valid configuration gets past init and fails here.
        .env("AWS_LAMBDA_RUNTIME_API", "http://127.0.0.1:9/.rt")
        .env("AWS_LAMBDA_FUNCTION_NAME", "register-model")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256");
    for (k, v) in vars {
        command.env(k, v);
    }
    let output = command.output().unwrap_or_else(|err| panic!("cannot run register-model: {err}"));
    let text = String::from_utf8_lossy(&output.stderr).to_string() + &String::from_utf8_lossy(&output.stdout);
    (output.status.success(), text)
}

#[test]
fn given_group_name_with_underscore_when_cold_starting_then_init_fails_naming_the_variable() {
    let (ok, output) = cold_start(&[("MODEL_PACKAGE_GROUP_NAME", "ml_pipeline")]);
    assert!(!ok);
    assert!(output.contains("MODEL_PACKAGE_GROUP_NAME"), "{output}");
    assert!(output.contains("ml_pipeline"), "{output}");
}

#[test]
fn given_bad_approval_status_when_cold_starting_then_init_fails_naming_the_variable() {
    let (ok, output) = cold_start(&[("MODEL_APPROVAL_STATUS", "Maybe")]);
    assert!(!ok);
    assert!(output.contains("MODEL_APPROVAL_STATUS"), "{output}");
}

#[test]
fn given_valid_configuration_when_cold_starting_then_init_passes_and_runtime_is_contacted() {
    let (ok, output) = cold_start(&[("MODEL_PACKAGE_GROUP_NAME", "ml-pipeline-model-group")]);
    assert!(!ok, "no Runtime API is served, so the process must end with an error");
    assert!(!output.contains("invalid configuration"), "{output}");
}
