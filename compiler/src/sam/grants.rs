//! S3 locations and Glue names → what the role may be granted on them: a bucket and a key
//! prefix ending with `/` (empty: the whole bucket), holding nothing IAM reads as a wildcard or
//! a policy variable; or why the location cannot be granted exactly.
//!
//! The front end refuses bad locations in `kpi.yaml` and the catalog with a diagnostic at their
//! line; this module does not rely on it: whatever reaches the template is normalised here, and
//! what cannot be granted exactly is refused, never widened.

/// Characters IAM gives a meaning inside a Resource or a `StringLike` value: `*` and `?` match
/// any text, `$` starts a policy variable (`${aws:username}`).
const IAM_SPECIAL: [char; 3] = ['*', '?', '$'];

/// Where a grant applies.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct S3Prefix {
    pub bucket: String,
    /// Empty for the whole bucket, else a key prefix ending with `/`.
    pub prefix: String,
}

impl S3Prefix {
    pub fn is_whole_bucket(&self) -> bool {
        self.prefix.is_empty()
    }
}

/// Why a location cannot be granted exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocationProblem {
    /// It does not start with `s3://`.
    NotS3,
    /// The bucket name breaks S3's naming rules; the rule broken.
    BadBucket(&'static str),
    /// The key prefix holds a character IAM would read as a pattern, or a control character.
    SpecialCharacter(char),
}

/// The bucket and the folder a location names: `s3://b/app_logs/events` and
/// `s3://b/app_logs/events/` both give `app_logs/events/` (never `events*`, which would also
/// match `events_private/`); `s3://b` and `s3://b/` give the whole bucket.
pub fn s3_prefix(location: &str) -> Result<S3Prefix, LocationProblem> {
    let rest = location
        .strip_prefix("s3://")
        .ok_or(LocationProblem::NotS3)?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    bucket_rule_broken(bucket).map_or(Ok(()), |rule| Err(LocationProblem::BadBucket(rule)))?;
    if let Some(c) = key
        .chars()
        .find(|c| IAM_SPECIAL.contains(c) || c.is_control())
    {
        return Err(LocationProblem::SpecialCharacter(c));
    }
    let mut prefix = key.to_string();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    Ok(S3Prefix {
        bucket: bucket.to_string(),
        prefix,
    })
}

/// The first of S3's general-purpose bucket naming rules that `name` breaks.
fn bucket_rule_broken(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("the location names no bucket");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Some("a bucket name holds only lower-case letters, digits, `.` and `-`");
    }
    if !(3..=63).contains(&name.len()) {
        return Some("a bucket name has 3 to 63 characters");
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Some("a bucket name starts and ends with a letter or a digit");
    }
    if name.contains("..") {
        return Some("a bucket name has no two adjacent dots");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some("a bucket name is not an IP address");
    }
    const PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    if PREFIXES.iter().any(|p| name.starts_with(p)) || SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return Some("a bucket name does not use a prefix or suffix S3 reserves");
    }
    None
}

/// The character of a Glue database or table name that would change what its ARN matches:
/// an IAM pattern character, the ARN's own separator `/`, or a control character.
pub fn glue_name_problem(name: &str) -> Option<char> {
    name.chars()
        .find(|c| IAM_SPECIAL.contains(c) || *c == '/' || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(location: &str) -> (String, String) {
        let p = s3_prefix(location).expect(location);
        (p.bucket, p.prefix)
    }

    fn pair(bucket: &str, prefix: &str) -> (String, String) {
        (bucket.to_string(), prefix.to_string())
    }

    #[test]
    fn a_folder_is_granted_as_itself_with_or_without_its_slash() {
        assert_eq!(
            ok("s3://b-1/app_logs/events"),
            pair("b-1", "app_logs/events/")
        );
        assert_eq!(
            ok("s3://b-1/app_logs/events/"),
            pair("b-1", "app_logs/events/")
        );
        assert_eq!(ok("s3://lake.example/dt=1/"), pair("lake.example", "dt=1/"));
    }

    #[test]
    fn a_bucket_root_is_the_whole_bucket() {
        for location in ["s3://lake", "s3://lake/"] {
            let p = s3_prefix(location).unwrap();
            assert!(p.is_whole_bucket(), "{location}");
            assert_eq!(p.bucket, "lake");
        }
        assert!(!s3_prefix("s3://lake/x").unwrap().is_whole_bucket());
    }

    #[test]
    fn wildcards_and_policy_variables_are_refused() {
        assert_eq!(
            s3_prefix("s3://*/"),
            Err(LocationProblem::BadBucket(
                "a bucket name holds only lower-case letters, digits, `.` and `-`"
            ))
        );
        assert!(matches!(
            s3_prefix("s3://lake*/x/"),
            Err(LocationProblem::BadBucket(_))
        ));
        for (location, c) in [
            ("s3://lake/app_logs/*/", '*'),
            ("s3://lake/app_logs/event?/", '?'),
            ("s3://lake/${aws:username}/", '$'),
            ("s3://lake/a\tb/", '\t'),
        ] {
            assert_eq!(
                s3_prefix(location),
                Err(LocationProblem::SpecialCharacter(c)),
                "{location}"
            );
        }
    }

    #[test]
    fn other_schemes_and_bad_buckets_are_refused() {
        for location in [
            "s3a://lake/x/",
            "S3://lake/x/",
            "lake/x/",
            "https://lake/x/",
        ] {
            assert_eq!(
                s3_prefix(location),
                Err(LocationProblem::NotS3),
                "{location}"
            );
        }
        for bucket in [
            "",
            "ab",
            "Lake",
            "lake_1",
            "-lake",
            "lake-",
            "la..ke",
            "192.168.1.2",
            "xn--lake",
            "lake-s3alias",
        ] {
            let location = format!("s3://{bucket}/x/");
            assert!(
                matches!(s3_prefix(&location), Err(LocationProblem::BadBucket(_))),
                "{location}"
            );
        }
        assert!(s3_prefix(&format!("s3://{}/", "a".repeat(63))).is_ok());
        assert!(s3_prefix(&format!("s3://{}/", "a".repeat(64))).is_err());
    }

    #[test]
    fn glue_names_that_would_widen_an_arn_are_found() {
        assert_eq!(glue_name_problem("app_logs"), None);
        assert_eq!(glue_name_problem("events-2024"), None);
        assert_eq!(glue_name_problem("ev*"), Some('*'));
        assert_eq!(glue_name_problem("a/b"), Some('/'));
        assert_eq!(glue_name_problem("${x}"), Some('$'));
    }
}
