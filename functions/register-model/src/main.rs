//! Lambda wiring for `register-model`: configuration and clients once per cold start.

use lambda_runtime::{service_fn, tracing, Error, LambdaEvent};
use registry::clients::Clients;
use registry::config::RegisterConfig;
use registry::register::Registrar;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = RegisterConfig::from_env()?;
    let clients = Clients::from_env().await?;
    let registrar = Registrar { config, sagemaker: clients.sagemaker, s3: clients.s3 };
    let registrar = &registrar;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        register_model::handle(registrar, &event.payload).await
    }))
    .await
}
