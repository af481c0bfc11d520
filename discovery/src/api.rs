//! Which files make up the API of a header set's named headers.
//!
//! "The functions of `openssl/ssl.h`" are not only those declared in `ssl.h`: an umbrella
//! header declares little itself and `#include`s its library's other headers. They are the
//! declarations of every file the named headers bring in from outside the C library and
//! POSIX. A file belongs to the C library when it is reached from an inclusion of one of the
//! [`DEFAULT_HEADERS`] (by its spelled name: `<stdio.h>`, `<sys/socket.h>`), directly or
//! through what those include, or when it sits in a subdirectory of an include root that such
//! files occupy (`sys/epoll.h` beside `sys/socket.h`, reached only through a library). A
//! named header is always part of its own API, even one of the default set.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::headers::DEFAULT_HEADERS;

/// One `#include` as the preprocessor saw it.
#[derive(Clone, Debug)]
pub(crate) struct Inclusion {
    /// The file holding the directive.
    pub from: PathBuf,
    /// The name as written (`stdio.h`, `openssl/ssl.h`).
    pub spelled: String,
    /// The file it found.
    pub file: PathBuf,
    /// Whether the directive is in the generated translation unit (a header of the set).
    pub top_level: bool,
}

/// The files whose declarations are the API of the set's named headers (the top-level
/// inclusions that are not default headers), sorted. Empty when the set names none.
pub(crate) fn api_files(inclusions: &[Inclusion]) -> Vec<PathBuf> {
    let is_default = |spelled: &str| DEFAULT_HEADERS.contains(&spelled);
    let mut graph: HashMap<&Path, Vec<&Path>> = HashMap::new();
    for i in inclusions {
        graph.entry(&i.from).or_default().push(&i.file);
    }
    let reach = |roots: Vec<&Path>, stop: &dyn Fn(&Path) -> bool| -> HashSet<PathBuf> {
        let mut seen: HashSet<PathBuf> = HashSet::new();
        let mut todo = roots;
        while let Some(f) = todo.pop() {
            if !seen.insert(f.to_path_buf()) {
                continue;
            }
            for &next in graph.get(f).map(Vec::as_slice).unwrap_or_default() {
                if !stop(next) {
                    todo.push(next);
                }
            }
        }
        seen
    };
    let default_roots: Vec<&Inclusion> = inclusions
        .iter()
        .filter(|i| is_default(&i.spelled))
        .collect();
    let c_library = reach(
        default_roots.iter().map(|i| i.file.as_path()).collect(),
        &|_| false,
    );
    // The include roots the default headers were found in (`/usr/include` for `stdio.h`,
    // `/usr/include/x86_64-linux-gnu` for `sys/socket.h`): files directly in them are judged
    // by reachability alone, since libraries install there too (`zlib.h`).
    let roots: HashSet<PathBuf> = default_roots
        .iter()
        .filter_map(|i| {
            let mut p = i.file.as_path();
            for _ in Path::new(&i.spelled).components() {
                p = p.parent()?;
            }
            Some(p.to_path_buf())
        })
        .collect();
    let c_library_dirs: HashSet<&Path> = c_library
        .iter()
        .filter_map(|f| f.parent())
        .filter(|d| !roots.contains(*d))
        .collect();
    let is_c_library =
        |f: &Path| c_library.contains(f) || f.parent().is_some_and(|d| c_library_dirs.contains(d));
    let named: Vec<&Path> = inclusions
        .iter()
        .filter(|i| i.top_level && !is_default(&i.spelled))
        .map(|i| i.file.as_path())
        .collect();
    let mut api: Vec<PathBuf> = reach(named, &is_c_library).into_iter().collect();
    api.sort();
    api
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(from: &str, spelled: &str, file: &str) -> Inclusion {
        Inclusion {
            from: from.into(),
            spelled: spelled.to_owned(),
            file: file.into(),
            top_level: from == "main.c",
        }
    }

    #[test]
    fn an_umbrella_brings_its_library_and_not_the_c_library() {
        let graph = [
            inc("main.c", "stdio.h", "/inc/stdio.h"),
            inc("/inc/stdio.h", "bits/types.h", "/inc/arch/bits/types.h"),
            inc("main.c", "sys/socket.h", "/inc/arch/sys/socket.h"),
            inc("main.c", "lib/all.h", "/inc/lib/all.h"),
            inc("/inc/lib/all.h", "lib/a.h", "/inc/lib/a.h"),
            inc("/inc/lib/all.h", "lib/b.h", "/inc/lib/b.h"),
            inc("/inc/lib/a.h", "stdio.h", "/inc/stdio.h"),
            inc("/inc/lib/a.h", "zconf.h", "/inc/zconf.h"),
            // Not a default header, but in a directory of the C library's own files.
            inc("/inc/lib/b.h", "sys/epoll.h", "/inc/arch/sys/epoll.h"),
            inc("/inc/lib/b.h", "bits/types.h", "/inc/arch/bits/types.h"),
        ];
        let api = api_files(&graph);
        let want: Vec<PathBuf> = [
            "/inc/lib/a.h",
            "/inc/lib/all.h",
            "/inc/lib/b.h",
            "/inc/zconf.h",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(api, want);
    }

    #[test]
    fn a_named_default_header_is_its_own_api_and_no_names_mean_none() {
        let graph = [inc("main.c", "stdio.h", "/inc/stdio.h")];
        assert!(api_files(&graph).is_empty());
        let mut named = inc("main.c", "/inc/stdio.h", "/inc/stdio.h");
        named.spelled = "/inc/stdio.h".to_owned();
        let graph = [inc("main.c", "stdio.h", "/inc/stdio.h"), named];
        assert_eq!(api_files(&graph), vec![PathBuf::from("/inc/stdio.h")]);
    }
}
