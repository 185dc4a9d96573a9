//! The SageMaker Model Registry domain shared by `register-model`, `approval-handler` and
//! `modelreg`: configuration, event intake, metadata, request building and limits, the
//! SageMaker and S3 adapters, and errors.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod approval;
pub mod clients;
pub mod config;
pub mod error;
pub mod image_uri;
pub mod intake;
pub mod limits;
pub mod metadata;
pub mod notify;
pub mod register;
pub mod request;
pub mod s3;
pub mod sagemaker;

pub use error::{Error, Result};
