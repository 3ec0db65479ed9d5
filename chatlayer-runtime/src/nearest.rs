//! The known name a caller probably meant: for the hints of unknown parameters and paths.

/// The known name `name` was probably meant to be: the same letters and digits whatever the
/// case and punctuation (`E-mail`, `email`), or at most two edits away from a name of four
/// characters or more.
pub(crate) fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let simple = |text: &str| -> String {
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let wanted = simple(name);
    if let Some(same) = known.iter().find(|known| simple(known) == wanted) {
        return Some(same);
    }
    known
        .iter()
        .filter(|known| known.len() >= 4)
        .map(|known| (edit_distance(&wanted, &simple(known)), *known))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance, for short names (callers' names are cut to 64 characters first).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
