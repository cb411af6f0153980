//! The CLI's failures that are not diagnostics → one message each and an exit code. Worded
//! here, once.

use kpi_compiler::driver::SourceError;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug)]
pub enum CliError {
    /// No kpi.yaml in `dir` (nor above it, when `searched_up`).
    NoProject { dir: PathBuf, searched_up: bool },
    /// A file or directory the command needs could not be read, written or created.
    Io {
        action: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    /// The command line asks for something that cannot be done (a KPI that does not exist,
    /// a day that is not a day, a lake that is not there).
    Usage(String),
    /// Standard output was closed by its reader (`kpi … | head`): stop quietly.
    ClosedStdout,
}

impl CliError {
    /// `action` is a verb: "read", "write", "create", "remove".
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> CliError {
        let path = path.into();
        move |error| CliError::Io {
            action,
            path,
            error,
        }
    }

    pub fn usage(message: impl fmt::Display) -> CliError {
        CliError::Usage(message.to_string())
    }

    /// Environment failures and bad command lines exit 2 (as clap does for the latter); a
    /// reader that went away is not a failure of ours.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::ClosedStdout => ExitCode::SUCCESS,
            _ => ExitCode::from(2),
        }
    }

    /// The driver's failure to read a project, at the project `root` on disk.
    pub fn from_source(error: SourceError, root: &std::path::Path) -> CliError {
        match error {
            SourceError::NoProject => CliError::NoProject {
                dir: root.to_path_buf(),
                searched_up: false,
            },
            SourceError::Unreadable { path, reason } => CliError::Io {
                action: "read",
                path: root.join(path),
                error: std::io::Error::other(reason),
            },
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::NoProject { dir, searched_up } => write!(
                f,
                "no kpi.yaml in {}{}; pass --project DIR, or start a project with `kpi init DIR --catalog FILE`",
                dir.display(),
                if *searched_up {
                    " or any directory above it"
                } else {
                    ""
                }
            ),
            CliError::Io {
                action,
                path,
                error,
            } => write!(f, "cannot {action} {}: {error}", path.display()),
            CliError::Usage(message) => f.write_str(message),
            CliError::ClosedStdout => f.write_str("standard output was closed"),
        }
    }
}
