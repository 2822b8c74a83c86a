//! The chart's values the flows share: images (`global.imageRegistry`,
//! `flow.image`, `imagePullSecrets`, `imagePullPolicy`), the pod and
//! container security contexts (`podSecurityContext`, `securityContext`,
//! `platformAssignsIds`) and the steps' resources (`flow.resources`). A
//! flow reads them from the same `-f values.yaml` (and `--set`) as
//! `helm install`, so one file sets both; the chart's other keys are
//! accepted and left to the chart. Defaults are the chart's own values.yaml,
//! embedded, so the two cannot drift.

use serde_json::{Map, Value};

use crate::model::Image;
use crate::render::templates::CHART_TEMPLATES;

/// The merged values: the chart's defaults, then what the user set.
#[derive(Debug, Clone)]
pub struct ChartValues {
    values: Value,
}

impl Default for ChartValues {
    fn default() -> Self {
        ChartValues {
            values: defaults().clone(),
        }
    }
}

fn embedded(path: &str) -> &'static str {
    CHART_TEMPLATES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, t)| *t)
        .expect("the chart's values are embedded")
}

fn defaults() -> &'static Value {
    static DEFAULTS: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(|| {
        serde_yaml::from_str(embedded("values.yaml")).expect("the chart's values.yaml parses")
    })
}

fn schema() -> &'static Value {
    static SCHEMA: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::from_str(embedded("values.schema.json"))
            .expect("the chart's values.schema.json parses")
    })
}

/// Whether dotted `key` is one of the chart's values: a key its schema
/// names, or one below a value the schema leaves free-form
/// (`podSecurityContext.runAsUser`, `peer.resources.limits.cpu`).
pub fn is_chart_key(key: &str) -> bool {
    let mut node = schema();
    for part in key.split('.') {
        match node.get("properties") {
            Some(properties) => match properties.get(part) {
                Some(next) => node = next,
                None => return false,
            },
            // Free-form below here (objects) or a list.
            None => return node.get("type").is_some_and(|t| t == "object"),
        }
    }
    true
}

impl ChartValues {
    /// Sets dotted `key` (a chart key) to `value`, as Helm merges values.
    pub fn set(&mut self, key: &str, value: Value) {
        let mut node = &mut self.values;
        let parts: Vec<&str> = key.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            if !node.get(*part).is_some_and(Value::is_object) {
                node[*part] = Value::Object(Map::new());
            }
            node = node.get_mut(*part).expect("just made");
        }
        node[parts[parts.len() - 1]] = value;
    }

    fn get(&self, pointer: &str) -> &Value {
        self.values.pointer(pointer).unwrap_or(&Value::Null)
    }

    /// The value at `pointer` without the keys set to null (Helm's way of
    /// removing a default).
    fn object(&self, pointer: &str) -> Value {
        without_nulls(self.get(pointer).clone())
    }

    fn text(&self, pointer: &str) -> String {
        match self.get(pointer) {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// An image as the chart's `hlf-kube.image` helper makes it: the values
    /// at `pointer` (registry, repository, tag, digest) over `default`, with
    /// `global.imageRegistry` in place of the registry.
    pub fn image(&self, pointer: &str, default: &Image) -> String {
        let or = |value: String, default: &str| {
            if value.is_empty() {
                default.to_string()
            } else {
                value
            }
        };
        let registry = or(
            self.text("/global/imageRegistry"),
            &self.text(&format!("{pointer}/registry")),
        );
        let repository = or(
            self.text(&format!("{pointer}/repository")),
            &default.repository,
        );
        let tag = or(self.text(&format!("{pointer}/tag")), &default.tag);
        let digest = self.text(&format!("{pointer}/digest"));
        reference(&registry, &repository, &tag, &digest)
    }

    /// An image given whole (`backup.image`), moved to `global.imageRegistry`
    /// when that is set, as the chart does with chaincode images.
    pub fn rehost(&self, image: &str) -> String {
        let registry = self.text("/global/imageRegistry");
        if registry.is_empty() {
            return image.to_string();
        }
        let (_, path) = crate::model::split_registry(image);
        format!("{}/{path}", registry.trim_end_matches('/'))
    }

    pub fn pull_policy(&self) -> String {
        self.text("/imagePullPolicy")
    }

    pub fn pull_secrets(&self) -> Value {
        self.get("/imagePullSecrets").clone()
    }

    /// podSecurityContext, without the IDs when the platform assigns them.
    pub fn pod_security_context(&self) -> Value {
        let mut context = self.object("/podSecurityContext");
        if self.get("/platformAssignsIds").as_bool() == Some(true) {
            if let Some(map) = context.as_object_mut() {
                for key in ["runAsUser", "runAsGroup", "fsGroup"] {
                    map.remove(key);
                }
            }
        }
        context
    }

    pub fn security_context(&self) -> Value {
        self.object("/securityContext")
    }

    pub fn step_resources(&self) -> Value {
        self.object("/flow/resources")
    }
}

fn reference(registry: &str, repository: &str, tag: &str, digest: &str) -> String {
    let mut out = String::new();
    if !registry.is_empty() {
        out.push_str(registry.trim_end_matches('/'));
        out.push('/');
    }
    out.push_str(repository);
    out.push(':');
    out.push_str(tag);
    if !digest.is_empty() {
        out.push('@');
        out.push_str(digest);
    }
    out
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// An empty object stands for no setting.
pub fn is_set(value: &Value) -> bool {
    !(value.is_null() || value.as_object().is_some_and(Map::is_empty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chart_keys_are_the_schemas() {
        assert!(is_chart_key("global.imageRegistry"));
        assert!(is_chart_key("peer.logLevel"));
        assert!(is_chart_key("podSecurityContext.runAsUser"));
        assert!(is_chart_key("peer.resources.limits.cpu"));
        assert!(is_chart_key("imagePullSecrets"));
        assert!(!is_chart_key("flow.channel.include"));
        assert!(!is_chart_key("peer.logLevl"));
        assert!(is_chart_key("peer.resources"));
    }

    #[test]
    fn images_follow_the_chart_helper() {
        let default = Image::new("hyperledger/fabric-tools", "2.5.16");
        let mut values = ChartValues::default();
        assert_eq!(
            values.image("/flow/image", &default),
            "hyperledger/fabric-tools:2.5.16"
        );
        values.set("global.imageRegistry", json!("registry.local:5000/"));
        values.set("flow.image.digest", json!("sha256:ab"));
        assert_eq!(
            values.image("/flow/image", &default),
            "registry.local:5000/hyperledger/fabric-tools:2.5.16@sha256:ab"
        );
        assert_eq!(
            values.rehost("rclone/rclone:1.75.1"),
            "registry.local:5000/rclone/rclone:1.75.1"
        );
        assert_eq!(values.rehost("quay.io/x/y:1"), "registry.local:5000/x/y:1");
    }

    #[test]
    fn platform_assigned_ids_are_left_out() {
        let mut values = ChartValues::default();
        assert!(values.pod_security_context()["runAsUser"].is_number());
        values.set("platformAssignsIds", json!(true));
        let context = values.pod_security_context();
        assert!(context.get("runAsUser").is_none());
        assert!(context.get("fsGroup").is_none());
        assert_eq!(context["runAsNonRoot"], json!(true));
    }
}
