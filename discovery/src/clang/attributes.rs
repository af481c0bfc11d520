//! The attributes of a function declaration (`nonnull`, `format`, `deprecated`...), read from
//! clang's pretty-printed declaration.
//!
//! libclang 14 exposes most attributes only as `UnexposedAttr` cursors with no tokens, but its
//! pretty printer spells every one canonically (`__attribute__((nonnull(1, 2)))`) whatever
//! macros the header wrapped them in, so the printed text is parsed here instead.

use ffi_auto_sig::FormatAttr;

/// The attributes clang prints for a declaration (one flag per attribute, as written).
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Attributes {
    /// `nonnull(1, 2)`: the 1-based indices of the parameters.
    pub nonnull: Vec<usize>,
    /// `nonnull` with no arguments: every pointer parameter.
    pub nonnull_all: bool,
    pub warn_unused_result: bool,
    pub deprecated: Option<String>,
    pub format: Option<FormatAttr>,
    pub noreturn: bool,
    pub returns_twice: bool,
}

/// Reads the attributes of a declaration from clang's pretty-printed form, which spells them
/// canonically whatever macros the header used: `__attribute__((nonnull(1, 2)))`.
pub(super) fn parse_attributes(pretty: &str) -> Attributes {
    let mut out = Attributes::default();
    let mut rest = pretty;
    while let Some(start) = rest.find("__attribute__((") {
        let body_start = start + "__attribute__((".len();
        let mut depth = 2usize;
        let mut end = body_start;
        for (i, c) in rest[body_start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = body_start + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        // `body` is `name(args), name2` without the outer double parentheses.
        let body = rest[body_start..end.saturating_sub(1).max(body_start)].trim();
        for item in split_top(body) {
            let (name, args) = match item.find('(') {
                Some(i) => (&item[..i], item[i + 1..].trim_end_matches(')')),
                None => (item, ""),
            };
            out.add(name.trim().trim_matches('_'), &split_top(args));
        }
        rest = &rest[end.min(rest.len())..];
    }
    if pretty.contains("_Noreturn") {
        out.noreturn = true;
    }
    out
}

impl Attributes {
    /// One attribute, by name (without its underscores) and arguments; unknown ones are
    /// ignored.
    fn add(&mut self, name: &str, args: &[&str]) {
        match name {
            "nonnull" if args.is_empty() => self.nonnull_all = true,
            "nonnull" => self
                .nonnull
                .extend(args.iter().filter_map(|a| a.trim().parse::<usize>().ok())),
            "warn_unused_result" => self.warn_unused_result = true,
            "noreturn" => self.noreturn = true,
            "returns_twice" => self.returns_twice = true,
            "deprecated" => {
                self.deprecated = Some(
                    args.first()
                        .map(|m| m.trim().trim_matches('"').to_owned())
                        .unwrap_or_default(),
                );
            }
            "format" => {
                if let [arch, s, f] = args
                    && let (Ok(s), Ok(f)) = (s.trim().parse(), f.trim().parse())
                {
                    self.format = Some(FormatAttr {
                        archetype: arch.trim().trim_matches('_').to_owned(),
                        string_index: s,
                        first_to_check: f,
                    });
                }
            }
            _ => {}
        }
    }
}

/// Splits at commas outside parentheses and quotes.
fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut quoted, mut start) = (Vec::new(), 0i32, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = s[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attributes_as_clang_prints_them() {
        let a = parse_attributes(
            "extern void *memcpy(void *restrict __dest, const void *restrict __src, size_t __n) __attribute__((nothrow)) __attribute__((nonnull(1, 2)))",
        );
        assert_eq!(a.nonnull, vec![1, 2]);
        let b = parse_attributes(
            "int f(const char *, ...) __attribute__((format(printf, 1, 2))) __attribute__((warn_unused_result)) __attribute__((deprecated(\"use g, not f\")))",
        );
        assert_eq!(
            b.format,
            Some(FormatAttr {
                archetype: "printf".into(),
                string_index: 1,
                first_to_check: 2
            })
        );
        assert!(b.warn_unused_result);
        assert_eq!(b.deprecated.as_deref(), Some("use g, not f"));
        let c =
            parse_attributes("void f(int *) __attribute__((nonnull)) __attribute__((noreturn))");
        assert!(c.nonnull_all && c.noreturn);
        assert_eq!(parse_attributes("int abs(int)"), Attributes::default());
    }

    #[test]
    fn splits_at_top_level_commas_only() {
        assert_eq!(
            split_top(r#"format(printf, 1, 2), deprecated("a, (b"), nonnull"#),
            vec!["format(printf, 1, 2)", r#"deprecated("a, (b")"#, "nonnull"]
        );
        assert_eq!(split_top(""), Vec::<&str>::new());
    }
}
