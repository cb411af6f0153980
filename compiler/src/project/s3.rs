//! S3 location text (kpi.yaml's `target.location`, a catalog table's `Location`) → a checked
//! prefix `s3://bucket/key/`, or the first problem at its byte offset in the text.
//!
//! Locations reach SQL string literals, IAM policy resources and, on a local lake, file paths,
//! so they are held to a strict shape:
//!
//! - the scheme is exactly `s3://`;
//! - the bucket follows S3's naming rules for general purpose buckets: 3 to 63 characters,
//!   lower-case letters, digits, `.` and `-`, starting and ending with a letter or digit, no
//!   `..`, not an IP address, none of the prefixes and suffixes S3 reserves;
//! - after the bucket, only ASCII letters, digits, `-`, `_`, `.`, `=` (Hive partition folders)
//!   and `/` as the separator. S3 allows any UTF-8, but quotes, backslashes, `*`, `?`, `%`,
//!   spaces, controls and non-ASCII characters would need escaping in SQL, in IAM resource
//!   patterns or on a file system, and no data lake needs them;
//! - no empty folder (`//`), no `.` or `..` folder, at most 512 bytes of key, so what kpi
//!   appends (table, partition and file names) stays within S3's 1,024;
//! - it ends with `/`. A catalog location without one is read as the folder it names, as
//!   Athena does, with a warning; `target.location` must be written with it.

use super::errors;
use crate::diagnostic::Diagnostic;
use crate::span::{Span, is_hidden_char};

pub const SCHEME: &str = "s3://";
/// Longest key prefix accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 512;
const RESERVED_PREFIXES: [&str; 4] = ["xn--", "sthree-", "amzn-s3-demo-", "sthree-configurator"];
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// What is wrong with a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The text does not start with `s3://`; `found` is its scheme, if it has one.
    Scheme {
        found: Option<String>,
    },
    NoBucket,
    BucketLength {
        length: usize,
    },
    BucketChar {
        found: char,
    },
    BucketEdge,
    BucketDots,
    BucketIpAddress,
    BucketReservedPrefix {
        prefix: &'static str,
    },
    BucketReservedSuffix {
        suffix: &'static str,
    },
    EmptyFolder,
    DotFolder {
        name: &'static str,
    },
    UnsafeChar {
        found: char,
    },
    KeyTooLong {
        bytes: usize,
    },
    NoTrailingSlash,
}

/// A problem and the bytes of the location text it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationError {
    pub offset: usize,
    pub len: usize,
    pub problem: Problem,
}

/// A location that passed: the prefix with its trailing `/`, and whether it was added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub text: String,
    pub added_slash: bool,
}

/// Checks one location. A missing trailing slash is the last thing checked, so a location
/// whose only fault is that comes back as that error and can be normalised by the caller.
pub fn check_location(text: &str) -> Result<Prefix, LocationError> {
    let fail = |offset: usize, len: usize, problem| {
        Err(LocationError {
            offset,
            len,
            problem,
        })
    };
    let Some(rest) = text.strip_prefix(SCHEME) else {
        let found = text.find("://").map(|i| text[..i + 3].to_string());
        let len = found.as_ref().map_or(text.len(), String::len);
        return fail(0, len, Problem::Scheme { found });
    };
    let start = SCHEME.len();
    let bucket_len = rest.find('/').unwrap_or(rest.len());
    let bucket = &rest[..bucket_len];
    if let Err((at, len, problem)) = check_bucket(bucket) {
        return fail(start + at, len, problem);
    }
    let key_start = start + bucket_len;
    let key = &text[key_start..];
    // Folder by folder after the bucket's `/`, so the first problem in the text is reported.
    let mut at = key_start + 1;
    let folders: Vec<&str> = key.get(1..).unwrap_or("").split('/').collect();
    for (i, folder) in folders.iter().enumerate() {
        let unsafe_char = folder
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')));
        if let Some((j, c)) = unsafe_char {
            return fail(at + j, c.len_utf8(), Problem::UnsafeChar { found: c });
        }
        let problem = match *folder {
            "" if i + 1 < folders.len() => Some(Problem::EmptyFolder),
            "." => Some(Problem::DotFolder { name: "." }),
            ".." => Some(Problem::DotFolder { name: ".." }),
            _ => None,
        };
        if let Some(problem) = problem {
            return fail(at, folder.len().max(1), problem);
        }
        at += folder.len() + 1;
    }
    if key.len() > MAX_KEY_BYTES {
        return fail(
            key_start,
            key.len(),
            Problem::KeyTooLong { bytes: key.len() },
        );
    }
    if !text.ends_with('/') {
        return fail(text.len(), 0, Problem::NoTrailingSlash);
    }
    Ok(Prefix {
        text: text.to_string(),
        added_slash: false,
    })
}

/// Like [`check_location`], but a missing trailing slash is added (catalog locations: Glue
/// often stores them without one, and Athena reads them as folders).
pub fn normalise_location(text: &str) -> Result<Prefix, LocationError> {
    match check_location(text) {
        Err(LocationError {
            problem: Problem::NoTrailingSlash,
            ..
        }) => check_location(&format!("{text}/")).map(|p| Prefix {
            added_slash: true,
            ..p
        }),
        other => other,
    }
}

/// The bucket name's first problem, as (offset in the name, length, problem).
fn check_bucket(bucket: &str) -> Result<(), (usize, usize, Problem)> {
    if bucket.is_empty() {
        return Err((0, 0, Problem::NoBucket));
    }
    if let Some((i, c)) = bucket
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-')))
    {
        return Err((i, c.len_utf8(), Problem::BucketChar { found: c }));
    }
    let whole = |problem| Err((0, bucket.len(), problem));
    if !(3..=63).contains(&bucket.len()) {
        return whole(Problem::BucketLength {
            length: bucket.len(),
        });
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge_ok(bucket.chars().next()) {
        return Err((0, 1, Problem::BucketEdge));
    }
    if !edge_ok(bucket.chars().last()) {
        return Err((bucket.len() - 1, 1, Problem::BucketEdge));
    }
    if let Some(i) = bucket.find("..") {
        return Err((i, 2, Problem::BucketDots));
    }
    let parts: Vec<&str> = bucket.split('.').collect();
    if parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok()) {
        return whole(Problem::BucketIpAddress);
    }
    if let Some(prefix) = RESERVED_PREFIXES
        .into_iter()
        .find(|p| bucket.starts_with(p))
    {
        return Err((0, prefix.len(), Problem::BucketReservedPrefix { prefix }));
    }
    if let Some(suffix) = RESERVED_SUFFIXES.into_iter().find(|s| bucket.ends_with(s)) {
        let at = bucket.len() - suffix.len();
        return Err((at, suffix.len(), Problem::BucketReservedSuffix { suffix }));
    }
    Ok(())
}

impl LocationError {
    /// The diagnostic, at `span` (the problem's place in the file).
    pub fn to_diagnostic(&self, span: Span) -> Diagnostic {
        errors::invalid_location(span, &self.problem)
    }
}

/// The warning for a catalog location read with a `/` added (`prefix`), at `span`.
pub fn added_slash_warning(span: Span, prefix: &str) -> Diagnostic {
    errors::location_without_slash(span, prefix)
}

/// How a character is named in a message: itself when visible, its code point otherwise.
pub fn char_name(c: char) -> String {
    if is_hidden_char(c) || c.is_whitespace() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> (usize, usize, Problem) {
        let e = check_location(text).unwrap_err();
        (e.offset, e.len, e.problem)
    }

    #[test]
    fn good_locations_pass_and_a_missing_slash_is_added_only_when_asked() {
        for good in [
            "s3://engagement-lake/kpi/",
            "s3://a.b-c/",
            "s3://lake/app_logs/events/dt=2024-01-01/",
            "s3://123/x_y.z/",
        ] {
            assert_eq!(check_location(good).map(|p| p.text), Ok(good.to_string()));
        }
        assert_eq!(
            problem("s3://lake/events"),
            (16, 0, Problem::NoTrailingSlash)
        );
        let normalised = normalise_location("s3://lake/events").unwrap();
        assert_eq!(
            (normalised.text.as_str(), normalised.added_slash),
            ("s3://lake/events/", true)
        );
        assert_eq!(normalise_location("s3://lake").unwrap().text, "s3://lake/");
    }

    #[test]
    fn each_problem_is_found_at_its_offset() {
        let found = |s: &str| Some(s.to_string());
        assert_eq!(
            problem("https://x/"),
            (
                0,
                8,
                Problem::Scheme {
                    found: found("https://")
                }
            )
        );
        assert_eq!(
            problem("lake/kpi/"),
            (0, 9, Problem::Scheme { found: None })
        );
        assert_eq!(problem("s3:///kpi/"), (5, 0, Problem::NoBucket));
        assert_eq!(
            problem("s3://Lake/"),
            (5, 1, Problem::BucketChar { found: 'L' })
        );
        assert_eq!(
            problem("s3://la_ke/"),
            (7, 1, Problem::BucketChar { found: '_' })
        );
        assert_eq!(
            problem("s3://ab/"),
            (5, 2, Problem::BucketLength { length: 2 })
        );
        assert_eq!(problem("s3://-lake/"), (5, 1, Problem::BucketEdge));
        assert_eq!(problem("s3://lake./"), (9, 1, Problem::BucketEdge));
        assert_eq!(problem("s3://la..ke/"), (7, 2, Problem::BucketDots));
        assert_eq!(
            problem("s3://192.168.5.4/"),
            (5, 11, Problem::BucketIpAddress)
        );
        assert_eq!(
            problem("s3://xn--lake/"),
            (5, 4, Problem::BucketReservedPrefix { prefix: "xn--" })
        );
        assert_eq!(
            problem("s3://lake-s3alias/"),
            (9, 8, Problem::BucketReservedSuffix { suffix: "-s3alias" })
        );
        assert_eq!(problem("s3://lake/a//b/"), (12, 1, Problem::EmptyFolder));
        assert_eq!(problem("s3://lake//"), (10, 1, Problem::EmptyFolder));
        assert_eq!(
            problem("s3://lake/a/../b/"),
            (12, 2, Problem::DotFolder { name: ".." })
        );
        assert_eq!(
            problem("s3://lake/./"),
            (10, 1, Problem::DotFolder { name: "." })
        );
        assert_eq!(
            problem("s3://lake/a/.."),
            (12, 2, Problem::DotFolder { name: ".." })
        );
        assert_eq!(
            problem("s3://lake/it's/"),
            (12, 1, Problem::UnsafeChar { found: '\'' })
        );
        assert_eq!(
            problem("s3://lake/a\\b/"),
            (11, 1, Problem::UnsafeChar { found: '\\' })
        );
        assert_eq!(
            problem("s3://lake/a\u{1}/"),
            (11, 1, Problem::UnsafeChar { found: '\u{1}' })
        );
        assert_eq!(
            problem("s3://lake/é/"),
            (10, 2, Problem::UnsafeChar { found: 'é' })
        );
        assert_eq!(
            problem("s3://lake/*/"),
            (10, 1, Problem::UnsafeChar { found: '*' })
        );
        let long = format!("s3://lake/{}/", "a".repeat(600));
        assert_eq!(problem(&long), (9, 602, Problem::KeyTooLong { bytes: 602 }));
    }

    #[test]
    fn the_injections_of_the_issue_are_refused_at_their_first_problem() {
        let text = "s3://engagement-lake/../../pwned.csv'(FORMAT'csv')--/";
        assert_eq!(problem(text), (21, 2, Problem::DotFolder { name: ".." }));
        let text = "s3://engagement-lake/pwned.csv'(FORMAT'csv')--/";
        assert_eq!(problem(text), (30, 1, Problem::UnsafeChar { found: '\'' }));
        assert_eq!(
            problem("s3://lake/a\\'/"),
            (11, 1, Problem::UnsafeChar { found: '\\' })
        );
    }
}
