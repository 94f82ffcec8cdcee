//! Manifests to workloads: documents, `List` objects, the kinds that carry a pod template.

use crate::Error;
use crate::yaml::{self, Node};

/// Where a kind keeps its pod template, as dotted paths from the object root.
struct Template {
    kind: &'static str,
    metadata: &'static str,
    spec: &'static str,
}

const TEMPLATES: [Template; 9] = [
    Template {
        kind: "Pod",
        metadata: "metadata",
        spec: "spec",
    },
    Template {
        kind: "Deployment",
        metadata: "spec.template.metadata",
        spec: "spec.template.spec",
    },
    Template {
        kind: "StatefulSet",
        metadata: "spec.template.metadata",
        spec: "spec.template.spec",
    },
    Template {
        kind: "DaemonSet",
        metadata: "spec.template.metadata",
        spec: "spec.template.spec",
    },
    Template {
        kind: "ReplicaSet",
        metadata: "spec.template.metadata",
        spec: "spec.template.spec",
    },
    Template {
        kind: "ReplicationController",
        metadata: "spec.template.metadata",
        spec: "spec.template.spec",
    },
    Template {
        kind: "Job",
        metadata: "spec.template.metadata",
        spec: "spec.template.spec",
    },
    Template {
        kind: "CronJob",
        metadata: "spec.jobTemplate.spec.template.metadata",
        spec: "spec.jobTemplate.spec.template.spec",
    },
    Template {
        kind: "PodTemplate",
        metadata: "template.metadata",
        spec: "template.spec",
    },
];

/// How deep `List`s may nest inside `List`s.
const MAX_LIST_DEPTH: usize = 8;

/// One object that runs pods.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub kind: String,
    /// `default` when the manifest names none.
    pub namespace: String,
    /// `metadata.name`, else `metadata.generateName`, else `<unnamed>`.
    pub name: String,
    /// The line where the object starts.
    pub line: u32,
    /// Dotted path of the pod spec from the object root (`spec.template.spec`), the prefix of
    /// every evidence path.
    pub spec_path: &'static str,
    /// Dotted path of the pod template's metadata (`spec.template.metadata`).
    pub metadata_path: &'static str,
    /// The pod spec (an empty mapping when the object has none).
    pub spec: Node,
    /// The pod template's metadata, if any.
    pub metadata: Option<Node>,
}

impl Workload {
    /// `Kind/namespace/name`.
    pub fn object(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

/// The objects of one manifest file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Manifests {
    pub workloads: Vec<Workload>,
    /// Objects of other kinds (Services, ConfigMaps, ...) and documents that are no object;
    /// empty documents are not counted.
    pub other_objects: usize,
}

fn dotted<'a>(node: &'a Node, path: &str) -> Option<&'a Node> {
    path.split('.').try_fold(node, |n, k| n.get(k))
}

/// Reads every workload of a (multi-document) manifest. `path` names the file in errors.
pub fn parse(text: &str, path: &str) -> Result<Manifests, Error> {
    let docs = yaml::parse_stream(text).map_err(|e| Error::Yaml {
        path: path.to_owned(),
        line: e.line,
        message: e.message,
    })?;
    let mut out = Manifests::default();
    for doc in docs {
        if let Some(root) = doc.root {
            collect(root, 0, &mut out);
        }
    }
    Ok(out)
}

fn collect(object: Node, depth: usize, out: &mut Manifests) {
    let kind = object
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_owned();
    if kind.ends_with("List")
        && depth < MAX_LIST_DEPTH
        && let Some(items) = object.get("items").and_then(Node::as_seq)
    {
        for item in items {
            collect(item.clone(), depth + 1, out);
        }
        return;
    }
    let Some(template) = TEMPLATES.iter().find(|t| t.kind == kind) else {
        out.other_objects += 1;
        return;
    };
    let meta = object.get("metadata");
    let text = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Node::as_str)
            .map(str::to_owned)
    };
    let name = text("name")
        .or_else(|| text("generateName"))
        .unwrap_or_else(|| "<unnamed>".to_owned());
    let namespace = text("namespace")
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_owned());
    let spec = dotted(&object, template.spec).cloned().unwrap_or(Node {
        line: object.line,
        value: yaml::Value::Map(Vec::new()),
    });
    let metadata = dotted(&object, template.metadata).cloned();
    out.workloads.push(Workload {
        kind,
        namespace,
        name,
        line: object.line,
        spec_path: template.spec,
        metadata_path: template.metadata,
        spec,
        metadata,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_helm_documents_and_other_kinds() {
        let text = "\
---
# Source: chart/templates/svc.yaml
apiVersion: v1
kind: Service
metadata: {name: web}
---
# Source: chart/templates/empty.yaml
---
apiVersion: v1
kind: List
items:
- kind: Pod
  metadata: {name: a, namespace: ns}
  spec: {containers: [{name: c, image: x}]}
- kind: CronJob
  metadata: {generateName: job-}
  spec:
    jobTemplate:
      spec:
        template:
          spec: {containers: [{name: c, image: x}]}
";
        let m = parse(text, "m.yaml").unwrap();
        assert_eq!(m.other_objects, 1);
        let objects: Vec<String> = m.workloads.iter().map(Workload::object).collect();
        assert_eq!(objects, ["Pod/ns/a", "CronJob/default/job-"]);
        assert_eq!(m.workloads[0].line, 12);
        assert_eq!(
            m.workloads[1].spec_path,
            "spec.jobTemplate.spec.template.spec"
        );
        assert!(m.workloads[1].spec.get("containers").is_some());
    }

    #[test]
    fn malformed_yaml_is_an_error_naming_file_and_line() {
        let e = parse("kind: Pod\nmetadata:\n  name: [x\n", "bad.yaml").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("bad.yaml:"), "{text}");
        assert!(text.contains("malformed yaml"), "{text}");
    }

    #[test]
    fn scalars_and_sequences_as_documents_are_counted_not_errors() {
        let m = parse("just text\n---\n[1, 2]\n---\nkind: List\n", "x.yaml").unwrap();
        assert_eq!(m.other_objects, 3);
        assert!(m.workloads.is_empty());
    }
}
