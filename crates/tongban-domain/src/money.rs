//! Money as an integer number of fen (分), never a float.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in fen (1 yuan = 100 fen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }
}

/// Formats as yuan with two decimals and the ¥ sign, e.g. `¥20.00`.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_as_yuan() {
        assert_eq!(Fen(2000).to_string(), "¥20.00");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(-150).to_string(), "-¥1.50");
        assert_eq!(Fen::from_yuan(3).to_string(), "¥3.00");
        assert_eq!(Fen(i64::MIN).to_string(), "-¥92233720368547758.08");
    }

    proptest! {
        #[test]
        fn formatting_round_trips(fen in any::<i64>()) {
            let text = Fen(fen).to_string();
            let negative = text.starts_with('-');
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            let magnitude: u64 = digits.parse().unwrap();
            prop_assert_eq!(magnitude, fen.unsigned_abs());
            prop_assert_eq!(negative, fen < 0);
        }
    }
}
