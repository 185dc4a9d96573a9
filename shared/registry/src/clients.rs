//! AWS clients, built once per cold start. `AWS_ENDPOINT_URL` (standard SDK variable) points
//! every client at a local emulator; `S3_FORCE_PATH_STYLE=true` makes S3 work there.

use aws_config::{BehaviorVersion, SdkConfig};

use crate::error::Result;

/// The shared SDK configuration: region, credentials, endpoint and retries from the environment.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Every client the registry uses.
#[derive(Debug, Clone)]
pub struct Clients {
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
}

impl Clients {
    pub fn new(config: &SdkConfig, force_path_style: bool) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config).force_path_style(force_path_style).build();
        Clients {
            sagemaker: aws_sdk_sagemaker::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sns: aws_sdk_sns::Client::new(config),
        }
    }

    /// Clients from the process environment.
    pub async fn from_env() -> Result<Self> {
        let force_path_style = crate::config::force_path_style()?;
        Ok(Self::new(&sdk_config().await, force_path_style))
    }
}
