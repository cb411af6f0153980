//! One sentence and a hint for every way an AWS call fails, never a stack of SDK internals.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub message: String,
    pub hint: Option<String>,
    /// The service's error code, when the service answered with one.
    pub code: Option<String>,
}

impl AwsError {
    pub fn new(message: impl Into<String>) -> AwsError {
        AwsError {
            message: message.into(),
            hint: None,
            code: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> AwsError {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

/// Error codes that mean the caller may not do what it asked.
const DENIED: [&str; 6] = [
    "AccessDeniedException",
    "AccessDenied",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
];

/// Error codes of throttling (the SDK has retried them already when they reach here).
pub(crate) const THROTTLED: [&str; 4] = [
    "ThrottlingException",
    "TooManyRequestsException",
    "Throttling",
    "RequestLimitExceeded",
];

/// `what` failed with `error`: `what` names the call for a person ("Glue GetTables of
/// app_logs").
pub fn sdk<E, R>(what: &str, error: aws_sdk_sfn::error::SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    use aws_sdk_sfn::error::SdkError;
    match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("an unnamed error").to_string();
            let detail = e.message().unwrap_or("").to_string();
            let with_detail = |s: String| {
                if detail.is_empty() {
                    s
                } else {
                    format!("{s}: {detail}")
                }
            };
            let out = if DENIED.contains(&code.as_str()) {
                AwsError::new(with_detail(format!("{what} was denied ({code})"))).hint(
                    "check which identity the credentials are (`aws sts get-caller-identity`) \
                     and that its policy allows this call",
                )
            } else if THROTTLED.contains(&code.as_str()) {
                AwsError::new(with_detail(format!(
                    "{what} was throttled ({code}) and still failed after retries"
                )))
                .hint("try again in a minute, or lower the number of calls at once")
            } else {
                AwsError::new(with_detail(format!("{what} failed with {code}")))
            };
            AwsError {
                code: Some(code),
                ..out
            }
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => AwsError::new(format!(
            "{what} could not reach AWS: {}",
            first_line(&error)
        ))
        .hint("check the network, the region and any --endpoint-url / AWS_ENDPOINT_URL"),
        _ => AwsError::new(format!("{what} failed: {}", first_line(&error))),
    }
}

/// The innermost cause of an error, as its own Display says it ("Connection refused (os
/// error 111)"): the layers above it name the SDK's internals.
fn first_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = error;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    let text = deepest.to_string();
    let text = if text.is_empty() {
        DisplayErrorContext(error).to_string()
    } else {
        text
    };
    text.lines().next().unwrap_or("").to_string()
}
