//! The three SQL dialects a target speaks: identifier quoting and placeholders.

/// SQL dialect of a target database, chosen by the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

impl Dialect {
    pub fn from_url(url: &str) -> Option<Dialect> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            Some(Dialect::MySql)
        } else {
            None
        }
    }

    /// Quotes a name already checked by [`is_identifier`], so it holds no quote character.
    pub fn quote(self, identifier: &str) -> String {
        match self {
            Dialect::MySql => format!("`{identifier}`"),
            Dialect::Sqlite | Dialect::Postgres => format!("\"{identifier}\""),
        }
    }

    /// The `n`th (1-based) bind placeholder.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            Dialect::Sqlite | Dialect::MySql => "?".to_owned(),
        }
    }

    /// The type a value is cast to when read back as text.
    pub fn text_type(self) -> &'static str {
        match self {
            Dialect::MySql => "CHAR",
            Dialect::Sqlite | Dialect::Postgres => "TEXT",
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`: the only names we put into SQL text.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() || first == '_' => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_reject_quotes_spaces_and_leading_digits() {
        assert!(is_identifier("cust_po_2"));
        assert!(is_identifier("_x"));
        for bad in ["", "2x", "a b", "a\"b", "a`b", "a;drop", "é"] {
            assert!(!is_identifier(bad), "{bad:?}");
        }
    }

    #[test]
    fn quoting_follows_the_dialect() {
        assert_eq!(Dialect::MySql.quote("SO_HDR"), "`SO_HDR`");
        assert_eq!(Dialect::Postgres.quote("SO_HDR"), "\"SO_HDR\"");
        assert_eq!(Dialect::Postgres.placeholder(3), "$3");
        assert_eq!(Dialect::from_url("mysql://root@h/db"), Some(Dialect::MySql));
        assert_eq!(Dialect::from_url("http://x"), None);
    }
}
