//! Text from outside (stored names, claims, QR contents) made safe for a terminal.

use std::borrow::Cow;

/// `s` with control characters escaped (`\u{1b}`), so a stored name cannot move the
/// cursor, clear the screen or fake another line (terminal escape injection).
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if c.is_control() && c != '\n' { c.escape_unicode().to_string() } else { c.to_string() })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped_and_the_rest_is_kept() {
        assert_eq!(super::printable("王磊"), "王磊");
        assert_eq!(super::printable("a\u{1b}[2Jb\tc"), "a\\u{1b}[2Jb\\u{9}c");
    }
}
