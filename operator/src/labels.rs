//! The stable labels on every object the operator creates: how children are selected, listed and garbage collected.

use std::collections::BTreeMap;

/// `app.kubernetes.io/name` of runtime objects.
pub const RUNTIME_NAME: &str = "augur-runtime";
/// `app.kubernetes.io/managed-by` of everything the operator creates.
pub const MANAGED_BY: &str = "augur-operator";

/// The labels of a resource's children: name, instance (the resource), component (its kind), managed-by.
pub fn for_children(instance: &str, component: &str) -> BTreeMap<String, String> {
    let mut labels = selector(instance, component);
    labels.insert("app.kubernetes.io/managed-by".into(), MANAGED_BY.into());
    labels.insert("app.kubernetes.io/part-of".into(), "augur".into());
    labels
}

/// The subset that selects a resource's runtime pods; immutable once a Deployment exists, so it never changes.
pub fn selector(instance: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".into(), RUNTIME_NAME.into()),
        ("app.kubernetes.io/instance".into(), instance.into()),
        ("app.kubernetes.io/component".into(), component.into()),
    ])
}

/// The label selector of the children of one component (kind) that this operator manages: what its watches see.
pub fn managed_selector(component: &str) -> String {
    format!("app.kubernetes.io/managed-by={MANAGED_BY},app.kubernetes.io/component={component}")
}
