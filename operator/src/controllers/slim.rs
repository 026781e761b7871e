//! What reflector stores keep of an object: everything but its `managedFields` and the client-side
//! `last-applied-configuration` annotation. Both only repeat the object (often at greater length than the object
//! itself), and no controller reads them from a store; dropping them before an object is stored keeps a store's
//! memory proportional to what the controllers use.

use kube::ResourceExt;

/// The annotation `kubectl apply` (client side) keeps the whole applied manifest in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drops what no controller reads from a stored `object`.
pub fn slim<K: ResourceExt>(object: &mut K) {
    object.managed_fields_mut().clear();
    object.annotations_mut().remove(LAST_APPLIED);
}

#[cfg(test)]
mod tests {
    use k8s_openapi::{api::core::v1::ConfigMap, apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry};
    use kube::api::ObjectMeta;

    #[test]
    fn keeps_everything_but_managed_fields_and_the_last_applied_manifest() {
        let mut object = ConfigMap {
            metadata: ObjectMeta {
                name: Some("c".into()),
                annotations: Some(
                    [(super::LAST_APPLIED.to_owned(), "{...}".to_owned()), ("team".to_owned(), "shop".to_owned())]
                        .into(),
                ),
                managed_fields: Some(vec![ManagedFieldsEntry::default()]),
                ..ObjectMeta::default()
            },
            ..ConfigMap::default()
        };
        super::slim(&mut object);
        assert_eq!(object.metadata.managed_fields, Some(vec![]));
        assert_eq!(object.metadata.annotations, Some([("team".to_owned(), "shop".to_owned())].into()));
    }
}
