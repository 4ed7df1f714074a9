//! Closed sets of stored words (row states, price kinds, event names, audit operations): each
//! variant is written next to its text once, and reading a word the code does not know is an
//! error for the caller to report, never a silent default.

/// A word that names no variant of the set it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub set: &'static str,
    pub word: String,
}

impl std::fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not a {}", self.word, self.set)
    }
}

impl std::error::Error for UnknownWord {}

/// Declares an enum whose variants are stored as fixed words: `as_str` gives the word,
/// `parse` (exact match) and `FromStr` read it back, `ALL` and `TEXTS` list the set in order.
macro_rules! stored_words {
    (
        $(#[$doc:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vdoc:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vdoc])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every stored word, in declaration order.
            pub const TEXTS: &'static [&'static str] = &[$($text),+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The variant stored as `s` (exact spelling), if any.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::words::UnknownWord;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s).ok_or_else(|| $crate::domain::words::UnknownWord {
                    set: stringify!($name),
                    word: s.to_string(),
                })
            }
        }
    };
}

pub(crate) use stored_words;

#[cfg(test)]
mod tests {
    stored_words! {
        /// A set for the test.
        enum Colour { Red => "red", DarkBlue => "dark_blue" }
    }

    #[test]
    fn each_word_reads_back_as_its_variant_and_nothing_else_does() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!(Colour::TEXTS, &["red", "dark_blue"]);
        assert_eq!(Colour::parse("Red"), None);
        let err = "green".parse::<Colour>().unwrap_err();
        assert_eq!(err.to_string(), "\"green\" is not a Colour");
    }
}
