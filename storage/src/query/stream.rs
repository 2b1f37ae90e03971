//! Running a [`QueryPlan`] in a transaction: a stream that yields one
//! document at a time (fetching index pages underneath), and paginated reads
//! with opaque cursors for `.paginate()`.

use std::collections::VecDeque;
use std::sync::Arc;

use base64::Engine;

use super::plan::{QueryError, QueryPlan};
use crate::document::Document;
use crate::index::IndexMeta;
use crate::transaction::{KeyRange, Transaction};

/// Rows fetched from the index per underlying scan.
const FETCH: usize = 64;

/// An open query: its resolved index and range, and where it stopped.
pub struct QueryStream {
    plan: QueryPlan,
    /// `None` when the table does not exist: the query is empty.
    index: Option<(Arc<IndexMeta>, KeyRange)>,
    /// Where the underlying index scan stopped (rows up to here are fetched).
    scan_pos: Option<Vec<u8>>,
    buffer: VecDeque<(Vec<u8>, Document)>,
    exhausted: bool,
    returned: usize,
}

impl QueryStream {
    pub fn open(plan: QueryPlan, tx: &mut Transaction) -> Result<Self, QueryError> {
        let index = match tx.index(&plan.table, &plan.index)? {
            None => None,
            Some(ix) => {
                let range = plan.bounds.to_key_range(&ix)?;
                Some((ix, range))
            }
        };
        Ok(Self {
            exhausted: index.is_none(),
            plan,
            index,
            scan_pos: None,
            buffer: VecDeque::new(),
            returned: 0,
        })
    }

    fn fill(&mut self, tx: &mut Transaction, want: usize) -> Result<(), QueryError> {
        let Some((ix, range)) = &self.index else {
            self.exhausted = true;
            return Ok(());
        };
        while self.buffer.is_empty() && !self.exhausted {
            // Filtered queries read ahead more: most rows may be dropped.
            let want = if self.plan.filters.is_empty() {
                want.max(1)
            } else {
                FETCH
            };
            let page = tx.scan(ix, range, self.plan.order, self.scan_pos.as_deref(), want)?;
            for doc in page.documents {
                let mut pass = true;
                for f in &self.plan.filters {
                    if !f.matches(&doc.fields)? {
                        pass = false;
                        break;
                    }
                }
                if pass {
                    self.buffer.push_back((ix.key_for(&doc), doc));
                }
            }
            match page.next {
                Some(k) => self.scan_pos = Some(k),
                None => self.exhausted = true,
            }
        }
        Ok(())
    }

    /// The next document, or `None` at the end (or at the plan's limit).
    pub fn next(&mut self, tx: &mut Transaction) -> Result<Option<Document>, QueryError> {
        if self.plan.limit.is_some_and(|l| self.returned >= l) {
            return Ok(None);
        }
        if self.buffer.is_empty() {
            let want = match self.plan.limit {
                Some(l) => (l - self.returned).min(FETCH),
                None => FETCH,
            };
            self.fill(tx, want)?;
        }
        match self.buffer.pop_front() {
            Some((_, doc)) => {
                self.returned += 1;
                Ok(Some(doc))
            }
            None => Ok(None),
        }
    }
}

/// Arguments of `1.0/queryPage`.
pub struct PageRequest {
    pub cursor: Option<String>,
    pub end_cursor: Option<String>,
    pub page_size: usize,
    pub maximum_rows_read: Option<usize>,
}

/// The result of `1.0/queryPage`.
pub struct PageResult {
    pub page: Vec<Document>,
    pub is_done: bool,
    pub continue_cursor: String,
}

const END_CURSOR: &str = "_end";
const START_CURSOR: &str = "_start";

fn encode_cursor(key: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

fn decode_cursor(s: &str) -> Result<Option<Vec<u8>>, QueryError> {
    if s == START_CURSOR {
        return Ok(None);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .map(Some)
        .map_err(|_| QueryError::Invalid(format!("Invalid pagination cursor {s:?}")))
}

/// Reads one page of `plan` (filters applied), continuing after `cursor`.
/// With an end cursor the page reads exactly up to it, ignoring the size.
pub fn query_page(
    plan: QueryPlan,
    req: &PageRequest,
    tx: &mut Transaction,
) -> Result<PageResult, QueryError> {
    if req.page_size == 0 && req.end_cursor.is_none() {
        return Err(QueryError::Invalid(
            "NoDocumentsForPagination: pageSize must be greater than 0".into(),
        ));
    }
    let mut stream = QueryStream::open(plan, tx)?;
    let done_result = |page| PageResult {
        page,
        is_done: true,
        continue_cursor: END_CURSOR.to_string(),
    };
    if req.cursor.as_deref() == Some(END_CURSOR) {
        return Ok(done_result(Vec::new()));
    }
    stream.scan_pos = match &req.cursor {
        Some(c) => decode_cursor(c)?,
        None => None,
    };
    let end = match &req.end_cursor {
        Some(c) if c == END_CURSOR => None,
        Some(c) => Some(decode_cursor(c)?),
        None => None,
    };
    let ascending = stream.plan.order == crate::transaction::Order::Asc;
    let mut page = Vec::new();
    let mut last_key: Option<Vec<u8>> = stream.scan_pos.clone();
    loop {
        if end.is_none() && page.len() >= req.page_size {
            break;
        }
        if req
            .maximum_rows_read
            .is_some_and(|m| tx.usage().documents_read >= m)
        {
            break;
        }
        if stream.buffer.is_empty() {
            stream.fill(tx, FETCH)?;
        }
        let Some((key, _)) = stream.buffer.front() else {
            return Ok(done_result(page));
        };
        if let Some(Some(end)) = &end {
            let past = if ascending { key > end } else { key < end };
            if past {
                break;
            }
        }
        let Some((key, doc)) = stream.buffer.pop_front() else {
            break;
        };
        last_key = Some(key);
        page.push(doc);
    }
    Ok(PageResult {
        page,
        is_done: false,
        continue_cursor: last_key.map_or_else(|| START_CURSOR.to_string(), |k| encode_cursor(&k)),
    })
}
