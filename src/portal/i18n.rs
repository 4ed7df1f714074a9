//! Portal text in en-US and ko-KR. Keys missing in one language fall back to en-US; a test
//! keeps both catalogs in step.

use std::collections::HashMap;
use std::sync::OnceLock;

pub const LANGUAGES: [(&str, &str); 2] = [("en-US", "English"), ("ko-KR", "한국어")];

fn catalogs() -> &'static HashMap<&'static str, HashMap<String, String>> {
    static C: OnceLock<HashMap<&'static str, HashMap<String, String>>> = OnceLock::new();
    C.get_or_init(|| {
        let mut m = HashMap::new();
        m.insert(
            "en-US",
            serde_json::from_str(include_str!("i18n/en-US.json")).expect("en-US catalog"),
        );
        m.insert(
            "ko-KR",
            serde_json::from_str(include_str!("i18n/ko-KR.json")).expect("ko-KR catalog"),
        );
        m
    })
}

pub fn normalize(lang: &str) -> &'static str {
    if lang.starts_with("ko") {
        "ko-KR"
    } else {
        "en-US"
    }
}

/// The text for `key`; the key itself if neither catalog has it (visible, never a panic).
pub fn t(lang: &str, key: &str) -> String {
    let c = catalogs();
    c[normalize(lang)]
        .get(key)
        .or_else(|| c["en-US"].get(key))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// Whether the catalogs have `key` (labels fall back to a humanised code when not).
pub fn has(key: &str) -> bool {
    catalogs()["en-US"].contains_key(key)
}

/// `t` with `{name}` placeholders filled.
pub fn tf(lang: &str, key: &str, vars: &[(&str, &str)]) -> String {
    let mut s = t(lang, key);
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_the_same_keys() {
        let c = catalogs();
        let mut en: Vec<_> = c["en-US"].keys().collect();
        let mut ko: Vec<_> = c["ko-KR"].keys().collect();
        en.sort();
        ko.sort();
        assert_eq!(en, ko);
    }

    #[test]
    fn every_korean_text_is_filled_in() {
        let c = catalogs();
        for (k, v) in &c["ko-KR"] {
            assert!(!v.trim().is_empty(), "ko-KR {k} is empty");
            assert!(!c["en-US"][k].trim().is_empty(), "en-US {k} is empty");
        }
    }

    /// Literal keys passed to `t(..)` / `tf(..)` anywhere in the portal and its callers.
    fn keys_in_code() -> Vec<(String, String)> {
        let mut out = Vec::new();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut dirs = vec![std::path::PathBuf::from(root)];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let src = std::fs::read_to_string(&p).unwrap();
                    for line in src.lines() {
                        // Flash messages name their key when they are made.
                        for (i, _) in line.match_indices("Flash::ok(\"") {
                            let rest = &line[i + 11..];
                            if let Some(end) = rest.find('"') {
                                out.push((rest[..end].to_string(), p.display().to_string()));
                            }
                        }
                        for (i, _) in line.match_indices("t(") {
                            let before = line[..i].chars().last();
                            let call = if before == Some('t') { i - 1 } else { i };
                            let head = line[..call].chars().last();
                            if head.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                                continue;
                            }
                            let args = &line[i + 2..];
                            let Some(comma) = args.find(", \"") else {
                                continue;
                            };
                            if args[..comma].contains(['(', ')'])
                                && !args[..comma].ends_with("lang()")
                            {
                                continue;
                            }
                            let rest = &args[comma + 3..];
                            if let Some(end) = rest.find('"') {
                                out.push((rest[..end].to_string(), p.display().to_string()));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_key_used_in_code_is_in_both_catalogs() {
        let c = catalogs();
        let keys = keys_in_code();
        assert!(keys.len() > 300, "found {} keys in code", keys.len());
        let missing: Vec<_> = keys
            .iter()
            .filter(|(k, _)| !c["en-US"].contains_key(k) || !c["ko-KR"].contains_key(k))
            .collect();
        assert!(
            missing.is_empty(),
            "keys missing from a catalog: {missing:?}"
        );
    }

    #[test]
    fn fills_placeholders() {
        assert_eq!(
            tf("en-US", "dashboard.welcome", &[("name", "Ann")]),
            "Welcome, Ann"
        );
        assert_eq!(
            tf("ko-KR", "dashboard.welcome", &[("name", "Ann")]),
            "Ann님, 환영합니다"
        );
    }
}
