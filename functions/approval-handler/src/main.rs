//! Lambda wiring for `approval-handler`: configuration and clients once per cold start.

use lambda_runtime::{service_fn, tracing, Error, LambdaEvent};
use registry::approval::{ApprovalConfig, Notifier};
use registry::clients::Clients;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = ApprovalConfig::from_env()?;
    let clients = Clients::from_env().await?;
    let notifier = Notifier { config, sagemaker: clients.sagemaker, s3: clients.s3, sns: clients.sns };
    let notifier = &notifier;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        approval_handler::handle(notifier, &event.payload).await
    }))
    .await
}
