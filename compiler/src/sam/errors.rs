//! What the role's policy cannot grant as asked → diagnostics (W0720, E0721), worded here only.

use super::grants::LocationProblem;
use crate::diagnostic::Diagnostic;

/// Whose location or name a grant is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A source: its name in `kpi.yaml` and its `database.table` in the catalog.
    Source { name: String, table: String },
    /// The KPI tables, under `target.location`.
    Target,
}

impl Owner {
    fn describe(&self) -> String {
        match self {
            Owner::Source { name, table } => format!("source `{name}` (table `{table}`)"),
            Owner::Target => "the KPI tables (`target.location`)".to_string(),
        }
    }
}

/// A grant the template makes wider than a folder, or refuses to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantProblem {
    /// The location is a bucket's root: the role gets every object of the bucket.
    WholeBucket {
        owner: Owner,
        location: String,
        bucket: String,
    },
    /// The location cannot be granted exactly, so it is not granted at all.
    Location {
        owner: Owner,
        location: String,
        problem: LocationProblem,
    },
    /// A Glue database or table name holds a character that would widen its ARN.
    GlueName {
        owner: Owner,
        name: String,
        found: char,
    },
}

fn shown(c: char) -> String {
    if c.is_control() {
        format!("the control character U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}

impl GrantProblem {
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            GrantProblem::WholeBucket {
                owner,
                location,
                bucket,
            } => {
                let (verb, fix) = match owner {
                    Owner::Source { .. } => (
                        "read",
                        "Point the table's `Location` in the catalog at the folder that holds its files (`s3://bucket/folder/`).",
                    ),
                    Owner::Target => (
                        "write",
                        "Set `target.location` to a folder of the bucket, such as `s3://bucket/kpi/`.",
                    ),
                };
                let whose = match owner {
                    Owner::Source { .. } => format!("{} is at", owner.describe()),
                    Owner::Target => "the KPI tables' `target.location` is".to_string(),
                };
                Diagnostic::warning(
                    "W0720",
                    format!(
                        "the role may {verb} every object of bucket `{bucket}`: {whose} `{location}`, the bucket's root"
                    ),
                )
                .help(fix)
            }
            GrantProblem::Location {
                owner,
                location,
                problem,
            } => {
                let why = match problem {
                    LocationProblem::NotS3 => "it does not start with `s3://`".to_string(),
                    LocationProblem::BadBucket(rule) => {
                        format!("its bucket is not a valid bucket name ({rule})")
                    }
                    LocationProblem::SpecialCharacter(c) => format!(
                        "its key holds {}, which IAM reads as a pattern or a policy variable",
                        shown(*c)
                    ),
                };
                Diagnostic::error(
                    "E0721",
                    format!(
                        "the role cannot be granted {} at `{location}`: {why}",
                        owner.describe()
                    ),
                )
                .help("Use an `s3://bucket/folder/` location whose bucket follows S3's naming rules and whose key holds no `*`, `?` or `$`.")
            }
            GrantProblem::GlueName { owner, name, found } => Diagnostic::error(
                "E0721",
                format!(
                    "the role cannot be granted {}: the Glue name `{name}` holds {}, which would widen its ARN",
                    owner.describe(),
                    shown(*found)
                ),
            )
            .help("Name Glue databases and tables with letters, digits and `_` only."),
        }
    }
}
