//! Convex queries (`SerializedQuery`, convex-protocol.md §3.4): parsing the
//! JSON the `convex` npm package sends into a plan, evaluating filter
//! expressions, and streaming / paginating results out of a transaction.

mod expr;
mod plan;
mod stream;

pub use expr::Expr;
pub use plan::{QueryError, QueryPlan};
pub use stream::{query_page, PageRequest, PageResult, QueryStream};
