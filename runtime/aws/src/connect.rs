//! The SDK's configuration, loaded once per command.

use crate::error::AwsError;
use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_sdk_sfn::config::ProvideCredentials;

/// What the command line says about where and as whom to call AWS; the rest comes from the
/// standard chain (`AWS_REGION`, `AWS_PROFILE`, `~/.aws/config`, SSO, instance roles).
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// `--endpoint-url`; `AWS_ENDPOINT_URL` (and the per-service variables) are read by the
    /// SDK itself when this is unset.
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
}

/// A connection to AWS: the configuration and the runtime its calls run on.
pub struct Aws {
    runtime: tokio::runtime::Runtime,
    config: aws_config::SdkConfig,
}

impl std::fmt::Debug for Aws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aws")
            .field("region", &self.config.region())
            .finish()
    }
}

impl Aws {
    /// Loads the configuration and checks that a region and credentials are there.
    pub fn connect(options: &AwsOptions) -> Result<Aws, AwsError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| AwsError::new(format!("cannot start the AWS client: {e}")))?;
        let config = runtime.block_on(async {
            let region =
                RegionProviderChain::first_try(options.region.clone().map(aws_config::Region::new))
                    .or_default_provider();
            let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(region);
            if let Some(url) = &options.endpoint_url {
                loader = loader.endpoint_url(url);
            }
            if let Some(profile) = &options.profile {
                loader = loader.profile_name(profile);
            }
            loader.load().await
        });
        if config.region().is_none() {
            return Err(AwsError::new("no AWS region is set").hint(
                "set AWS_REGION, give the profile a region in ~/.aws/config, or pass --region",
            ));
        }
        let Some(provider) = config.credentials_provider() else {
            return Err(no_credentials(""));
        };
        runtime
            .block_on(provider.provide_credentials())
            .map_err(|e| {
                no_credentials(
                    &aws_smithy_types::error::display::DisplayErrorContext(e).to_string(),
                )
            })?;
        Ok(Aws { runtime, config })
    }

    /// Runs one future of SDK calls to its end.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    pub fn region(&self) -> String {
        self.config
            .region()
            .map(|r| r.to_string())
            .unwrap_or_default()
    }

    pub fn sfn(&self) -> aws_sdk_sfn::Client {
        aws_sdk_sfn::Client::new(&self.config)
    }

    pub fn glue(&self) -> aws_sdk_glue::Client {
        aws_sdk_glue::Client::new(&self.config)
    }

    pub fn athena(&self) -> aws_sdk_athena::Client {
        aws_sdk_athena::Client::new(&self.config)
    }

    /// An Athena client whose calls the SDK tries up to `attempts` times on a throttle or a
    /// server error (exponential backoff with jitter, from one second).
    pub fn athena_retrying(&self, attempts: u32) -> aws_sdk_athena::Client {
        let config = aws_sdk_athena::config::Builder::from(&self.config)
            .retry_config(retry(attempts))
            .build();
        aws_sdk_athena::Client::from_conf(config)
    }

    /// A Glue client that retries as [`Aws::athena_retrying`] does.
    pub fn glue_retrying(&self, attempts: u32) -> aws_sdk_glue::Client {
        let config = aws_sdk_glue::config::Builder::from(&self.config)
            .retry_config(retry(attempts))
            .build();
        aws_sdk_glue::Client::from_conf(config)
    }
}

fn retry(attempts: u32) -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_max_attempts(attempts.max(1))
        .with_initial_backoff(std::time::Duration::from_secs(1))
}

fn no_credentials(detail: &str) -> AwsError {
    let mut message = "no AWS credentials were found".to_string();
    if let Some(first) = detail.lines().next().filter(|l| !l.is_empty()) {
        message.push_str(&format!(" ({first})"));
    }
    AwsError::new(message).hint(
        "set AWS_PROFILE to a profile in ~/.aws/config (after `aws sso login` for SSO), or \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    )
}
