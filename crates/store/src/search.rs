//! Document search shared by both back ends: SQL narrows the rows (indexes,
//! JSON functions, LIKE), then [`DocumentSearch::matches`] decides on the
//! parsed record, page after page until `limit` documents match. The SQL
//! alone cannot be the rule: a LIKE on JSON could match a key name or
//! another field, and LIKE folds only ASCII case.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::StoreResult;
use crate::access::DocumentSearch;
use crate::model::{DocumentId, DocumentRecord};

/// Rows fetched per page at least: a filter the SQL narrows loosely costs
/// few round trips.
const MIN_PAGE: u32 = 50;
const MAX_PAGE: u32 = 1000;

/// The search as bind values for a back end's page query; `None` matches every row.
#[derive(Debug, Clone)]
pub(crate) struct SqlFilter {
    pub workflow: Option<String>,
    pub state: Option<&'static str>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_before: Option<DateTime<Utc>>,
    /// LIKE pattern (escape `\`) for the sender and planned customer ids.
    pub customer: Option<String>,
    /// LIKE pattern (escape `\`) for the file name and planned POs.
    pub po: Option<String>,
}

/// Where the previous page ended, in (received_at, id) descending order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor {
    pub received_at: DateTime<Utc>,
    pub id: DocumentId,
}

/// One page of candidates, newest received first, after `after`.
pub(crate) trait SearchPages {
    fn search_page(
        &self,
        filter: &SqlFilter,
        after: Option<Cursor>,
        size: u32,
    ) -> impl Future<Output = StoreResult<Vec<DocumentRecord>>> + Send;
}

impl SqlFilter {
    pub fn new(search: &DocumentSearch) -> Self {
        Self {
            workflow: search.workflow.clone(),
            state: search.state.map(|state| state.as_str()),
            received_from: search.received_from,
            received_before: search.received_before,
            customer: search.customer_needle().map(|needle| like_pattern(&needle)),
            po: search.po_needle().map(|needle| like_pattern(&needle)),
        }
    }
}

/// `%text%` for a case-insensitive LIKE that may match more than `text`,
/// never less: LIKE's wildcards and the escape character `\` are escaped,
/// so user input matches literally, and every character outside ASCII becomes
/// `_` (any one character), since SQLite's LIKE, and PostgreSQL's ILIKE
/// under a `C` locale, fold only ASCII case.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        match c {
            '%' | '_' | '\\' => {
                pattern.push('\\');
                pattern.push(c);
            }
            c if !c.is_ascii() => pattern.push('_'),
            c => pattern.push(c),
        }
    }
    pattern.push('%');
    pattern
}

/// Documents matching `search`, newest received first, at most `limit`.
pub(crate) async fn search<S: SearchPages>(
    store: &S,
    search: &DocumentSearch,
    limit: u32,
) -> StoreResult<Vec<DocumentRecord>> {
    let filter = SqlFilter::new(search);
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    let size = limit.clamp(MIN_PAGE, MAX_PAGE);
    let mut found = Vec::new();
    let mut after = None;
    while found.len() < wanted {
        let page = store.search_page(&filter, after, size).await?;
        let last_page = page.len() < usize::try_from(size).unwrap_or(usize::MAX);
        after = page.last().map(|document| Cursor { received_at: document.received_at, id: document.id });
        found.extend(page.into_iter().filter(|document| search.matches(document)));
        if last_page {
            break;
        }
    }
    found.truncate(wanted);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_wildcards_and_the_escape_literally() {
        assert_eq!(like_pattern("po-1"), "%po-1%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn letters_beyond_ascii_match_any_one_character() {
        let search = DocumentSearch {
            customer: Some(" Müller ".to_owned()),
            po: Some("PO_7".to_owned()),
            ..DocumentSearch::default()
        };
        let filter = SqlFilter::new(&search);
        assert_eq!(filter.customer.as_deref(), Some("%m_ller%"));
        assert_eq!(filter.po.as_deref(), Some("%po\\_7%"));
    }
}
