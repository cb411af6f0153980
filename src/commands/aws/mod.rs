//! The commands that call AWS: `deploy`, `run --target aws|athena`, `status`, `redrive`,
//! `schema pull|diff`. Each compiles what it needs through the driver, then calls `kpi-aws`.

#[cfg(feature = "aws")]
pub mod athena;
#[cfg(feature = "aws")]
pub mod deploy;
#[cfg(feature = "aws")]
pub mod remote;
#[cfg(feature = "aws")]
pub mod schema;

#[cfg(feature = "aws")]
use crate::error::CliError;
#[cfg(feature = "aws")]
use kpi_aws::{Aws, AwsError, AwsOptions};

/// Where and as whom AWS is called; the rest comes from the standard chain.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AwsArgs {
    /// Send every AWS call to this endpoint (a local emulator, a VPC endpoint); default:
    /// `AWS_ENDPOINT_URL` if set, else the service's own.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The AWS region; default: `AWS_REGION` or the profile's.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The profile of ~/.aws/config to use; default: `AWS_PROFILE` or `default`.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[cfg(feature = "aws")]
impl AwsArgs {
    pub fn connect(&self) -> Result<Aws, CliError> {
        Aws::connect(&AwsOptions {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
        })
        .map_err(aws_error)
    }
}

/// An AWS failure is the environment's: exit 2, one sentence and its hint.
#[cfg(feature = "aws")]
pub fn aws_error(e: AwsError) -> CliError {
    CliError::usage(e)
}
