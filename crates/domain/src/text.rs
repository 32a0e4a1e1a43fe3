//! Checks shared by the text value objects.

/// Why a piece of text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty once surrounding white space is removed.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed, in characters.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The maximum, in characters.
        max: usize,
    },
    /// Holds control characters (line breaks, tabs, ...).
    #[error("must not contain control characters")]
    ControlCharacters,
}

/// Trims `input` and checks it is a non-empty single line of at most `max` characters.
pub(crate) fn single_line(input: &str, max: usize) -> Result<String, TextError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::ControlCharacters);
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrounding_white_space_is_trimmed() {
        assert_eq!(single_line("  Koalas ", 10), Ok("Koalas".to_owned()));
    }

    #[test]
    fn blank_long_and_multi_line_text_is_refused() {
        assert_eq!(single_line("   ", 10), Err(TextError::Empty));
        assert_eq!(single_line("abcdef", 5), Err(TextError::TooLong { max: 5 }));
        assert_eq!(single_line("a\nb", 5), Err(TextError::ControlCharacters));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(single_line("ééééé", 5).is_ok());
    }
}
