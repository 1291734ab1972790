//! Synonym groups applied at query time: a query that contains one member of a group also
//! searches for the other members, with a lower weight, so 营业执照 finds 个体工商户设立登记
//! without outranking services that say 营业执照 themselves.
//!
//! Applying synonyms to queries rather than to the index means an administrator's change takes
//! effect on the next query, with no reindexing.

/// Normalised groups; each group has at least two distinct members.
#[derive(Debug, Default, Clone)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
}

/// At most this many alternatives are added to one query, however many groups match.
const MAX_EXPANSIONS: usize = 8;

/// Lower-cases, trims and collapses runs of white space, the form queries and groups are
/// compared in.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

impl Synonyms {
    pub fn new(groups: Vec<Vec<String>>) -> Synonyms {
        let groups = groups
            .into_iter()
            .map(|group| {
                let mut members: Vec<String> = Vec::new();
                for member in group {
                    let member = normalize(&member);
                    if !member.is_empty() && !members.contains(&member) {
                        members.push(member);
                    }
                }
                members
            })
            .filter(|g| g.len() >= 2)
            .collect();
        Synonyms { groups }
    }

    /// The alternatives for a normalised query: the other members of every group one of whose
    /// members the query contains (as a whole word for Latin letters, anywhere for Chinese).
    pub fn expand(&self, query: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for group in &self.groups {
            if !group.iter().any(|member| contains_term(query, member)) {
                continue;
            }
            for member in group {
                if out.len() >= MAX_EXPANSIONS {
                    return out;
                }
                if !contains_term(query, member) && !out.contains(&member.as_str()) {
                    out.push(member);
                }
            }
        }
        out
    }
}

/// Whether `needle` occurs in `haystack`; where the needle starts or ends with a letter or
/// digit of an alphabetic script, the neighbouring characters must not be letters, so that
/// `id` is not found in `video`. Chinese has no word boundaries to check.
fn contains_term(haystack: &str, needle: &str) -> bool {
    let alphabetic = |c: char| c.is_alphanumeric() && !is_cjk(c);
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        let first = needle.chars().next();
        let last = needle.chars().next_back();
        let left_ok = !(first.is_some_and(alphabetic) && before.is_some_and(alphabetic));
        let right_ok = !(last.is_some_and(alphabetic) && after.is_some_and(alphabetic));
        left_ok && right_ok
    })
}

/// CJK ideographs, where any position is a possible word boundary.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Synonyms {
        Synonyms::new(vec![
            vec!["营业执照".into(), "个体工商户设立登记".into()],
            vec!["身份证".into(), "居民身份证".into(), " ID  card ".into()],
            vec!["solo".into()],
        ])
    }

    #[test]
    fn a_query_containing_a_member_gets_the_others() {
        let s = groups();
        assert_eq!(s.expand("办营业执照"), vec!["个体工商户设立登记"]);
        assert_eq!(s.expand("id card lost"), vec!["身份证", "居民身份证"]);
    }

    #[test]
    fn members_already_in_the_query_are_not_added_again() {
        // 居民身份证 contains 身份证: both are present, only the Latin member is added.
        assert_eq!(groups().expand("居民身份证"), vec!["id card"]);
    }

    #[test]
    fn latin_members_match_whole_words_only() {
        assert!(groups().expand("acid cards").is_empty());
    }

    #[test]
    fn single_member_groups_are_dropped() {
        assert!(groups().expand("solo").is_empty());
    }
}
