//! Filter expressions (`$field`, `$literal`, comparisons, arithmetic, boolean
//! logic), evaluated against a document. A missing field is `undefined`,
//! which compares below every value.

use std::cmp::Ordering;

use serde_json::Value as Json;

use super::plan::QueryError;
use crate::index::{lookup_field, parse_field_path, FieldPath};
use crate::value::{Object, Value};

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Field(FieldPath),
    /// `None` is `undefined`.
    Literal(Option<Value>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

const MAX_DEPTH: usize = 64;

/// Parses an encoded-JSON value that may be `{"$undefined": null}`.
pub fn parse_optional_value(j: &Json) -> Result<Option<Value>, QueryError> {
    if let Json::Object(o) = j {
        if o.len() == 1 && o.contains_key("$undefined") {
            return Ok(None);
        }
    }
    Ok(Some(Value::from_encoded_json(j)?))
}

impl Expr {
    pub fn parse(j: &Json) -> Result<Self, QueryError> {
        Self::parse_depth(j, 0)
    }

    fn parse_depth(j: &Json, depth: usize) -> Result<Self, QueryError> {
        if depth > MAX_DEPTH {
            return Err(QueryError::Invalid(
                "filter expression nested too deeply".into(),
            ));
        }
        let bad = || QueryError::Invalid(format!("invalid filter expression: {j}"));
        let Json::Object(o) = j else {
            return Err(bad());
        };
        if o.len() != 1 {
            return Err(bad());
        }
        let Some((op, arg)) = o.iter().next() else {
            return Err(bad());
        };
        let sub = |e: &Json| Self::parse_depth(e, depth + 1);
        let pair = |e: &Json| -> Result<(Box<Expr>, Box<Expr>), QueryError> {
            match e {
                Json::Array(a) if a.len() == 2 => {
                    Ok((Box::new(sub(&a[0])?), Box::new(sub(&a[1])?)))
                }
                _ => Err(bad()),
            }
        };
        let list = |e: &Json| -> Result<Vec<Expr>, QueryError> {
            match e {
                Json::Array(a) => a.iter().map(sub).collect(),
                _ => Err(bad()),
            }
        };
        Ok(match op.as_str() {
            "$field" => match arg {
                Json::String(s) => Expr::Field(parse_field_path(s)),
                _ => return Err(bad()),
            },
            "$literal" => Expr::Literal(parse_optional_value(arg)?),
            "$eq" | "$neq" | "$lt" | "$lte" | "$gt" | "$gte" => {
                let cmp = match op.as_str() {
                    "$eq" => CmpOp::Eq,
                    "$neq" => CmpOp::Neq,
                    "$lt" => CmpOp::Lt,
                    "$lte" => CmpOp::Lte,
                    "$gt" => CmpOp::Gt,
                    _ => CmpOp::Gte,
                };
                let (a, b) = pair(arg)?;
                Expr::Cmp(cmp, a, b)
            }
            "$add" | "$sub" | "$mul" | "$div" | "$mod" => {
                let a_op = match op.as_str() {
                    "$add" => ArithOp::Add,
                    "$sub" => ArithOp::Sub,
                    "$mul" => ArithOp::Mul,
                    "$div" => ArithOp::Div,
                    _ => ArithOp::Mod,
                };
                let (a, b) = pair(arg)?;
                Expr::Arith(a_op, a, b)
            }
            "$neg" => Expr::Neg(Box::new(sub(arg)?)),
            "$not" => Expr::Not(Box::new(sub(arg)?)),
            "$and" => Expr::And(list(arg)?),
            "$or" => Expr::Or(list(arg)?),
            _ => return Err(bad()),
        })
    }

    /// Evaluates against a document's fields; `Ok(None)` is `undefined`.
    pub fn eval(&self, doc: &Object) -> Result<Option<Value>, QueryError> {
        Ok(match self {
            Expr::Field(path) => lookup_field(doc, path).cloned(),
            Expr::Literal(v) => v.clone(),
            Expr::Cmp(op, a, b) => {
                let (a, b) = (a.eval(doc)?, b.eval(doc)?);
                // `undefined` sorts below everything (Option's order does this).
                let ord = a.cmp(&b);
                Some(Value::Boolean(match op {
                    CmpOp::Eq => ord == Ordering::Equal,
                    CmpOp::Neq => ord != Ordering::Equal,
                    CmpOp::Lt => ord == Ordering::Less,
                    CmpOp::Lte => ord != Ordering::Greater,
                    CmpOp::Gt => ord == Ordering::Greater,
                    CmpOp::Gte => ord != Ordering::Less,
                }))
            }
            Expr::Arith(op, a, b) => Some(arith(*op, a.eval(doc)?, b.eval(doc)?)?),
            Expr::Neg(a) => match a.eval(doc)? {
                Some(Value::Int64(i)) => Some(Value::Int64(i.wrapping_neg())),
                Some(Value::Float64(f)) => Some(Value::Float64(-f)),
                other => return Err(type_error("$neg", &other, &None)),
            },
            Expr::Not(a) => Some(Value::Boolean(!truthy(&a.eval(doc)?))),
            Expr::And(list) => {
                for e in list {
                    if !truthy(&e.eval(doc)?) {
                        return Ok(Some(Value::Boolean(false)));
                    }
                }
                Some(Value::Boolean(true))
            }
            Expr::Or(list) => {
                for e in list {
                    if truthy(&e.eval(doc)?) {
                        return Ok(Some(Value::Boolean(true)));
                    }
                }
                Some(Value::Boolean(false))
            }
        })
    }

    /// Whether a document passes this filter.
    pub fn matches(&self, doc: &Object) -> Result<bool, QueryError> {
        Ok(truthy(&self.eval(doc)?))
    }
}

fn truthy(v: &Option<Value>) -> bool {
    matches!(v, Some(Value::Boolean(true)))
}

fn type_error(op: &str, a: &Option<Value>, b: &Option<Value>) -> QueryError {
    let name = |v: &Option<Value>| v.as_ref().map_or("undefined", Value::type_name);
    QueryError::Invalid(format!(
        "{op} is not supported between {} and {}",
        name(a),
        name(b)
    ))
}

fn arith(op: ArithOp, a: Option<Value>, b: Option<Value>) -> Result<Value, QueryError> {
    match (&a, &b) {
        (Some(Value::Int64(x)), Some(Value::Int64(y))) => {
            let (x, y) = (*x, *y);
            Ok(Value::Int64(match op {
                ArithOp::Add => x.wrapping_add(y),
                ArithOp::Sub => x.wrapping_sub(y),
                ArithOp::Mul => x.wrapping_mul(y),
                ArithOp::Div | ArithOp::Mod if y == 0 => {
                    return Err(QueryError::Invalid("integer division by zero".into()))
                }
                ArithOp::Div => x.wrapping_div(y),
                ArithOp::Mod => x.wrapping_rem(y),
            }))
        }
        (Some(Value::Float64(x)), Some(Value::Float64(y))) => {
            let (x, y) = (*x, *y);
            Ok(Value::Float64(match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => x / y,
                ArithOp::Mod => x % y,
            }))
        }
        _ => Err(type_error("arithmetic", &a, &b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_compare_with_the_total_order_and_undefined() {
        let mut doc = Object::new();
        doc.insert("a".into(), Value::Float64(2.0));
        doc.insert("s".into(), Value::String("x".into()));
        let t = |j: Json| {
            Expr::parse(&j)
                .expect("test input is valid")
                .matches(&doc)
                .expect("test input is valid")
        };
        assert!(t(json!({"$eq": [{"$field": "a"}, {"$literal": 2.0}]})));
        assert!(
            t(json!({"$gt": [{"$field": "s"}, {"$field": "a"}]})),
            "strings sort after numbers"
        );
        assert!(t(
            json!({"$eq": [{"$field": "missing"}, {"$literal": {"$undefined": null}}]})
        ));
        assert!(t(
            json!({"$lt": [{"$field": "missing"}, {"$literal": null}]})
        ));
        assert!(t(
            json!({"$and": [{"$not": {"$eq": [{"$field": "a"}, {"$literal": 3.0}]}},
                                   {"$eq": [{"$add": [{"$field": "a"}, {"$literal": 1.0}]}, {"$literal": 3.0}]}]})
        ));
        assert!(!t(json!({"$or": []})));
        assert!(Expr::parse(&json!({"$bogus": 1})).is_err());
        let e = Expr::parse(&json!({"$add": [{"$field": "s"}, {"$literal": 1.0}]}))
            .expect("test input is valid");
        assert!(e.eval(&doc).is_err());
    }
}
