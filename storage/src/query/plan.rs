//! Parsing a `SerializedQuery` (`{source, operators}`) into a [`QueryPlan`].

use serde_json::Value as Json;

use super::expr::{parse_optional_value, Expr};
use crate::error::StorageError;
use crate::index::{BY_CREATION_TIME, BY_ID};
use crate::range::{Bound, IndexBounds};
use crate::transaction::Order;
use crate::value::ValueError;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Value(#[from] ValueError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a query reads and how.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryPlan {
    pub table: String,
    /// Index name within the table (`by_creation_time` for a full table scan).
    pub index: String,
    pub bounds: IndexBounds,
    pub order: Order,
    pub filters: Vec<Expr>,
    pub limit: Option<usize>,
}

fn invalid(msg: impl Into<String>) -> QueryError {
    QueryError::Invalid(msg.into())
}

fn parse_order(j: Option<&Json>) -> Result<Order, QueryError> {
    match j {
        None | Some(Json::Null) => Ok(Order::Asc),
        Some(Json::String(s)) if s == "asc" => Ok(Order::Asc),
        Some(Json::String(s)) if s == "desc" => Ok(Order::Desc),
        Some(other) => Err(invalid(format!("invalid query order {other}"))),
    }
}

impl QueryPlan {
    pub fn parse(query: &Json) -> Result<Self, QueryError> {
        let source = query
            .get("source")
            .ok_or_else(|| invalid("query has no source"))?;
        let kind = source
            .get("type")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let order = parse_order(source.get("order"))?;
        let (table, index, bounds) = match kind {
            "FullTableScan" => {
                let table = source
                    .get("tableName")
                    .and_then(Json::as_str)
                    .ok_or_else(|| invalid("FullTableScan without tableName"))?;
                (
                    table.to_string(),
                    BY_CREATION_TIME.to_string(),
                    IndexBounds::default(),
                )
            }
            "IndexRange" => {
                let name = source
                    .get("indexName")
                    .and_then(Json::as_str)
                    .ok_or_else(|| invalid("IndexRange without indexName"))?;
                let (table, index) = name.split_once('.').ok_or_else(|| {
                    invalid(format!("invalid index name {name}: expected table.index"))
                })?;
                let range = source
                    .get("range")
                    .and_then(Json::as_array)
                    .ok_or_else(|| invalid("IndexRange without range"))?;
                (table.to_string(), index.to_string(), parse_range(range)?)
            }
            "Search" => {
                return Err(invalid(
                    "Text search queries are not supported by this server yet",
                ))
            }
            other => return Err(invalid(format!("unknown query source type {other:?}"))),
        };
        let mut filters = Vec::new();
        let mut limit = None;
        if let Some(ops) = query.get("operators") {
            let ops = ops
                .as_array()
                .ok_or_else(|| invalid("query operators must be an array"))?;
            for op in ops {
                if let Some(f) = op.get("filter") {
                    filters.push(Expr::parse(f)?);
                } else if let Some(n) = op.get("limit") {
                    let n = n
                        .as_f64()
                        .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                        .ok_or_else(|| invalid(format!("invalid limit {n}")))?;
                    let n = n as usize;
                    limit = Some(limit.map_or(n, |l: usize| l.min(n)));
                } else {
                    return Err(invalid(format!("unknown query operator {op}")));
                }
            }
        }
        let _ = BY_ID;
        Ok(Self {
            table,
            index,
            bounds,
            order,
            filters,
            limit,
        })
    }
}

/// Turns the range expressions of `withIndex` into bounds.
fn parse_range(range: &[Json]) -> Result<IndexBounds, QueryError> {
    let mut bounds = IndexBounds::default();
    for r in range {
        let kind = r.get("type").and_then(Json::as_str).unwrap_or_default();
        let field = r
            .get("fieldPath")
            .and_then(Json::as_str)
            .ok_or_else(|| invalid("range expression without fieldPath"))?
            .to_string();
        let value = parse_optional_value(r.get("value").unwrap_or(&Json::Null))?;
        let check_field = |b: &IndexBounds| match &b.range_field {
            Some(f) if *f != field => Err(invalid(format!(
                "index range bounds two different fields: {f} and {field}"
            ))),
            _ => Ok(()),
        };
        match kind {
            "Eq" => {
                if bounds.range_field.is_some() {
                    return Err(invalid("equality after a range bound in withIndex"));
                }
                bounds.eq.push((field, value));
            }
            "Gt" | "Gte" => {
                check_field(&bounds)?;
                if bounds.lower.is_some() {
                    return Err(invalid(format!("two lower bounds on {field}")));
                }
                bounds.range_field = Some(field);
                bounds.lower = Some(Bound {
                    value,
                    inclusive: kind == "Gte",
                });
            }
            "Lt" | "Lte" => {
                check_field(&bounds)?;
                if bounds.upper.is_some() {
                    return Err(invalid(format!("two upper bounds on {field}")));
                }
                bounds.range_field = Some(field);
                bounds.upper = Some(Bound {
                    value,
                    inclusive: kind == "Lte",
                });
            }
            other => return Err(invalid(format!("unknown range expression type {other:?}"))),
        }
    }
    Ok(bounds)
}
