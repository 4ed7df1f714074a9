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
