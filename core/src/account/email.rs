//! Email addresses: normalised once, so that one person has one account.

use std::fmt;

/// A normalised email address: trimmed, lower-cased, checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why a string is not an address we accept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty after trimming.
    #[error("the email is empty")]
    Empty,
    /// Longer than 254 bytes.
    #[error("the email is longer than 254 bytes")]
    TooLong,
    /// Not `local@domain` with exactly one `@`.
    #[error("the email must be local@domain with one @")]
    Shape,
    /// A space, control character or other character mail systems refuse.
    #[error("the email contains a character that is not allowed ({0:?})")]
    Character(char),
    /// The domain has no dot or an empty label.
    #[error("the email's domain must be a dotted name such as example.com")]
    Domain,
}

impl Email {
    /// Normalises and checks `s`.
    pub fn parse(s: &str) -> Result<Email, EmailError> {
        let s = s.trim().to_lowercase();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '(' | ')' | '[' | ']' | '\\' | ',' | ':')) {
            return Err(EmailError::Character(c));
        }
        let (local, domain) = s.split_once('@').ok_or(EmailError::Shape)?;
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return Err(EmailError::Shape);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-');
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(EmailError::Domain);
        }
        Ok(Email(s))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(&self.0, |(l, _)| l)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(Email::parse("  MiXed@Example.COM ").unwrap().as_str(), "mixed@example.com");
        assert_eq!(Email::parse("o'brien+x\";--@example.com").unwrap().local_part(), "o'brien+x\";--");
        assert_eq!(Email::parse("ünï@bücher.de").unwrap().as_str(), "ünï@bücher.de");
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        let cases: &[(&str, EmailError)] = &[
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            ("nobody", EmailError::Shape),
            ("@example.com", EmailError::Shape),
            ("a@b@example.com", EmailError::Shape),
            ("a b@example.com", EmailError::Character(' ')),
            ("a@localhost", EmailError::Domain),
            ("a@exa..mple.com", EmailError::Domain),
            ("a@-x.com", EmailError::Domain),
            ("' or 1=1 --", EmailError::Character(' ')),
        ];
        for (input, want) in cases {
            assert_eq!(Email::parse(input).as_ref(), Err(want), "{input:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
