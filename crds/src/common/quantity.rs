//! The schema of a resource quantity written in an Augur spec (`100m`, `2`, `512Mi`, `4Gi`).
//!
//! Kubernetes' own `Quantity` schema is `x-kubernetes-int-or-string` with no length bound. CEL sees such a field as
//! `dyn` of unbounded size, so the API server estimates any rule that reads it (`quantity(...)`) at the request-size
//! limit, and a rule inside a list is then refused at install time for exceeding the cost budget. Augur's quantities
//! are therefore plain strings of bounded length, checked with CEL's `isQuantity`: every rule reading them has a
//! small, fixed cost, and a malformed value is refused with a sentence instead of a parse error.

use schemars::{Schema, SchemaGenerator, json_schema};

/// Longest quantity string accepted (`123456789012345678Gi` is 20 characters; 64 leaves room for exponents).
pub const QUANTITY_MAX_LENGTH: usize = 64;

/// Schema of an optional quantity field: a string of at most [`QUANTITY_MAX_LENGTH`] characters that parses as a
/// Kubernetes quantity. Numbers must be quoted (`"2"`), as YAML would otherwise send an integer.
pub fn quantity_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "nullable": true,
        "maxLength": QUANTITY_MAX_LENGTH,
        "x-kubernetes-validations": [{
            "rule": "isQuantity(self)",
            "message": "must be a Kubernetes quantity such as \"100m\", \"2\", \"512Mi\" or \"4Gi\" (quote plain numbers)",
        }],
    })
}

/// CEL that is true when the quantity strings at `low` and `high` are ordered, or either is unset or malformed (a
/// malformed one is already reported by its own rule, so it yields exactly one, readable, error).
pub fn ordered_quantities(low: &str, high: &str) -> String {
    format!(
        "!has(self.{low}) || !has(self.{high}) || !isQuantity(self.{low}) || !isQuantity(self.{high}) || \
         quantity(self.{low}).compareTo(quantity(self.{high})) <= 0"
    )
}
