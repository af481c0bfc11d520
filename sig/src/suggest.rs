//! "Did you mean": the one ranking of close names, for every error that names something not
//! found (functions, symbols, constants, structs).

/// Up to three of `names` closest to `name` (Damerau-Levenshtein distance within a third of
/// its length, at least 1), nearest first, ties by name.
///
/// ```
/// use ffi_auto_sig::closest;
/// let names = ["strlen", "strnlen", "strcat", "malloc"];
/// assert_eq!(closest("strlne", names.into_iter())[0], "strlen");
/// assert!(closest("zzzzzz", names.into_iter()).is_empty());
/// ```
pub fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let limit = (name.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, &str)> = names
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort_unstable();
    scored.dedup();
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_owned())
        .collect()
}

/// `` (did you mean `a`, `b` or `c`?)``, or nothing when `closest` is empty.
///
/// ```
/// use ffi_auto_sig::did_you_mean;
/// assert_eq!(did_you_mean(&["a".into(), "b".into()]), " (did you mean `a` or `b`?)");
/// assert_eq!(did_you_mean(&[]), "");
/// ```
pub fn did_you_mean(closest: &[String]) -> String {
    match closest {
        [] => String::new(),
        [one] => format!(" (did you mean `{one}`?)"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|s| format!("`{s}`")).collect();
            format!(" (did you mean {} or `{last}`?)", init.join(", "))
        }
    }
}
