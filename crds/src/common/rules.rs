//! Builders for the CEL rules (`x-kubernetes-validations`) the schemas carry.
//!
//! Cross-field duration rules call CEL's `duration()`, which raises an evaluation error on a malformed string. Each
//! duration field already rejects such strings with its own message, so the builders here guard the cross-field
//! comparison with the same pattern: a malformed duration yields exactly one, readable, error.

use kube::core::Rule;

use super::duration::DURATION_PATTERN;

/// A rule with its human message.
pub fn rule(expression: impl Into<String>, message: &str) -> Rule {
    Rule::new(expression.into()).message(message)
}

/// CEL that is true when the string at `path` matches the RE2 `pattern`. The pattern is written as a CEL string
/// literal, so its backslashes and quotes are escaped here, once, for every caller.
pub fn matches(path: &str, pattern: &str) -> String {
    let literal = pattern.replace('\\', "\\\\").replace('\'', "\\'");
    format!("{path}.matches('{literal}')")
}

/// CEL that is true when the duration string at `path` is well formed.
fn well_formed(path: &str) -> String {
    matches(path, DURATION_PATTERN)
}

/// The rule every Secret name carries.
pub fn secret_name_rule() -> Rule {
    rule(
        matches("self", super::source::OBJECT_NAME_PATTERN),
        "a Secret name is lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
    )
}

/// A rule over the duration strings at `paths`, evaluated only once all of them are well formed.
pub fn with_durations(paths: &[&str], expression: &str, message: &str) -> Rule {
    let guards: Vec<String> = paths.iter().map(|path| well_formed(path)).collect();
    rule(format!("!({}) || {expression}", guards.join(" && ")), message)
}

/// A rule `duration(left) <op> duration(right)`, skipped while either side is malformed. A `right` that starts with a
/// quote is a duration literal such as `'1s'`.
pub fn compare_durations(left: &str, op: &str, right: &str, message: &str) -> Rule {
    let paths: Vec<&str> = [left, right].into_iter().filter(|path| !path.starts_with('\'')).collect();
    with_durations(&paths, &format!("duration({left}) {op} duration({right})"), message)
}

/// A duration rule that applies only when an optional field is set: `!has(field) || <rule>`.
pub fn when_set(field: &str, inner: Rule) -> Rule {
    let Rule { rule: expression, message, .. } = inner;
    let mut wrapped = Rule::new(format!("!has({field}) || ({expression})"));
    wrapped.message = message;
    wrapped
}

/// The rule every Kafka topic name carries.
pub fn topic_rule() -> Rule {
    rule(matches("self", super::source::TOPIC_PATTERN), "topic names use only letters, digits, '.', '_' and '-'")
}
