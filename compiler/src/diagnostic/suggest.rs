//! "Did you mean": picks the candidate a misspelt name most likely meant.

/// One candidate → that one; else a case-insensitive match; else the closest within a third
/// of the name's length in edits. Ties go to the candidate given first, so a caller lists the
/// likelier names first (a KPI's own measures before source columns); the answer is stable as
/// long as the order is.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    // Deduplicated, keeping each name's first place.
    let mut all: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != name)
        .enumerate()
        .collect();
    all.sort_unstable_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0)));
    all.dedup_by(|later, first| later.1 == first.1);
    all.sort_unstable();
    let all: Vec<&str> = all.into_iter().map(|(_, c)| c).collect();
    if let [only] = all.as_slice() {
        return Some((*only).to_string());
    }
    if let Some(c) = all.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some((*c).to_string());
    }
    let limit = (name.chars().count() / 3).max(1);
    all.iter()
        .enumerate()
        .map(|(i, c)| (edit_distance(name, c), i, *c))
        .filter(|(d, _, _)| *d <= limit)
        .min()
        .map(|(_, _, c)| c.to_string())
}

/// Levenshtein distance in characters, with adjacent transpositions counted as one edit.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(prev2[j - 2] + 1);
            }
            cur[j] = best;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("member_id", "memebr_id"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions() {
        let names = ["member_id", "company_id", "kind"];
        assert_eq!(
            did_you_mean("memebr_id", names).as_deref(),
            Some("member_id")
        );
        assert_eq!(did_you_mean("KIND", names).as_deref(), Some("kind"));
        assert_eq!(did_you_mean("zzzzzz", names), None);
        assert_eq!(did_you_mean("anything", ["only"]).as_deref(), Some("only"));
        assert_eq!(did_you_mean("x", []), None);
        // Equally close: the one given first.
        assert_eq!(
            did_you_mean("slient", ["silent", "client"]).as_deref(),
            Some("silent")
        );
        assert_eq!(
            did_you_mean("slient", ["client", "silent"]).as_deref(),
            Some("client")
        );
    }
}
