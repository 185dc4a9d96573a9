//! The README's local invoke loop, end to end: `cargo lambda watch` serves the Lambda Runtime
//! API, the prebuilt `register-model` binary runs behind it unchanged (as Lambda would start
//! it), and `cargo lambda invoke --data-file` delivers `events/s3-put.json`, rewritten to name a
//! fixture uploaded to the emulator. The version must then exist in SageMaker.
//!
//! Needs `cargo lambda` on PATH (`scripts/localaws.sh` puts `.venv/bin` first) and the debug
//! build of `register-model` (`make test` builds the workspace before testing).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use e2e::*;
use serde_json::Value;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Child processes, killed and reaped when the test ends, however it ends.
struct Children {
    running: Vec<(String, Child)>,
    logs: PathBuf,
}

impl Children {
    fn new(logs: PathBuf) -> Self {
        std::fs::create_dir_all(&logs).expect("log folder");
        Children { running: Vec::new(), logs }
    }

    /// Starts `command` with its output in `<logs>/<name>.log`.
    fn spawn(&mut self, name: &str, mut command: Command) {
        let log = std::fs::File::create(self.logs.join(format!("{name}.log"))).expect("log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {name} ({command:?}): {err}"));
        self.running.push((name.to_string(), child));
    }

    /// Fails if a child has exited (it should serve until the end of the test).
    fn assert_running(&mut self) {
        for (name, child) in &mut self.running {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{name} exited ({status}):\n{}", tail(&self.logs.join(format!("{name}.log"))));
            }
        }
    }

    /// The end of every child's log, for a failure message.
    fn logs(&self) -> String {
        self.running
            .iter()
            .map(|(name, _)| format!("--- {name}.log\n{}", tail(&self.logs.join(format!("{name}.log")))))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for (_, child) in &mut self.running {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// The prebuilt debug binary of a function, where cargo put it.
fn function_binary(name: &str) -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => root().join(dir),
        None => root().join("target"),
    };
    let binary = target.join("debug").join(name);
    assert!(
        binary.is_file(),
        "{} does not exist: build it first with `cargo build -p {name}` (`make test` builds the workspace before testing)",
        binary.display()
    );
    binary
}

/// Waits until something accepts connections on the port.
fn wait_for_port(port: u16, children: &mut Children) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        children.assert_running();
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("the Lambda Runtime API did not listen on 127.0.0.1:{port} within 60 s\n{}", children.logs());
}

/// `cargo lambda invoke <function> --data-file <event>`: the function's JSON answer.
async fn cargo_lambda_invoke(function: &str, port: u16, event: &Path, children: &Children) -> Value {
    let invoke = tokio::process::Command::new("cargo")
        .args(["lambda", "invoke", function, "--invoke-address", "127.0.0.1", "--invoke-port"])
        .arg(port.to_string())
        .arg("--data-file")
        .arg(event)
        .args(["--output-format", "json"])
        .current_dir(root())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), invoke)
        .await
        .unwrap_or_else(|_| panic!("cargo lambda invoke did not answer within 120 s\n{}", children.logs()))
        .expect("cargo lambda invoke (is cargo-lambda on PATH? scripts/localaws.sh puts .venv/bin there)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo lambda invoke failed ({}):\nstdout: {stdout}\nstderr: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        children.logs()
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|err| panic!("not JSON ({err}): {stdout}\n{}", children.logs()))
}

#[tokio::test]
async fn given_cargo_lambda_watch_and_the_built_function_when_an_events_file_is_invoked_then_a_version_is_registered() {
    let clients = clients().await;
    let bucket = unique("invoke");
    let group = unique("invoke-group");
    create_bucket(&clients.s3, &bucket, false).await;
    let uploaded = upload_fixture(&clients.s3, &bucket, "model/").await;

    let work = root().join(".local").join(unique("local-invoke"));
    let mut children = Children::new(work.clone());
    let port = free_port();
    let mut watch = Command::new("cargo");
    watch
        .args(["lambda", "watch", "--only-lambda-apis", "--invoke-address", "127.0.0.1", "--invoke-port"])
        .arg(port.to_string())
        .current_dir(root());
    children.spawn("cargo-lambda-watch", watch);
    wait_for_port(port, &mut children);

    // Started as Lambda would start it; AWS_ENDPOINT_URL and the test credentials come from
    // the environment that scripts/localaws.sh set up.
    let mut function = Command::new(function_binary("register-model"));
    function
        .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt/register-model"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "register-model")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_LEVEL", "info")
        .env("MODEL_PACKAGE_GROUP_NAME", &group)
        .current_dir(&work);
    children.spawn("register-model", function);

    let mut event = event_file("s3-put.json");
    point_event_at(&mut event, &uploaded);
    let event_path = work.join("s3-put.json");
    std::fs::write(&event_path, serde_json::to_vec_pretty(&event).unwrap()).unwrap();

    let answer = cargo_lambda_invoke("register-model", port, &event_path, &children).await;
    let record = &answer["records"][0];
    assert_eq!(record["status"], "registered", "{answer}\n{}", children.logs());
    assert_eq!(record["version"], 1, "{answer}");

    let registered = versions(&clients.sagemaker, &group).await;
    assert_eq!(registered.len(), 1, "{answer}");
    let v1 = &registered[0];
    assert_eq!(v1.model_package_arn(), record["arn"].as_str());
    assert_eq!(v1.customer_metadata_properties().unwrap()["model-name"], "ml-pipeline-model-v1");
    let url = v1.inference_specification().unwrap().containers()[0].model_data_url().unwrap();
    assert_eq!(read_uri(&clients.s3, url).await, fixture("model.tar.gz"));

    // The same file again (S3 delivers at least once): the function answers, no new version.
    let again = cargo_lambda_invoke("register-model", port, &event_path, &children).await;
    assert_eq!(again["records"][0]["status"], "duplicate", "{again}");
    assert_eq!(versions(&clients.sagemaker, &group).await.len(), 1);
    children.assert_running();

    drop(children);
    let _ = std::fs::remove_dir_all(&work);
}
