"""Write the JSON Schemas of the custom resources OrderPulse deploys, from the operators' own CRDs.

Each CustomResourceDefinition carries an OpenAPI v3 schema per served version. This script reads
the CRD files of pinned upstream releases (SOURCES), and writes `<api group>/<kind>_<version>.json`
beside itself, turned into JSON Schema the way the API server applies it with
`kubectl apply --validate=strict`:

  * an object that lists its properties rejects unknown ones (unless the CRD marks it
    `x-kubernetes-preserve-unknown-fields`),
  * `nullable: true` admits null, `x-kubernetes-int-or-string` admits an integer or a string,
  * descriptions are dropped (size); patterns Python's `re` cannot compile are dropped.

CEL rules (`x-kubernetes-validations`) are not evaluated. Run from the repository root:

  python tests/deploy/schemas/vendor_crd_schemas.py                 # downloads from GitHub
  python tests/deploy/schemas/vendor_crd_schemas.py --git-mirrors DIR   # DIR/<owner>+<repo>/repo bare clones
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent

# (GitHub repository, release tag, path of the CRD file in it)
SOURCES: tuple[tuple[str, str, str], ...] = (
    ("strimzi/strimzi-kafka-operator", "1.2.0", "packaging/install/cluster-operator/040-Crd-kafka.yaml"),
    ("strimzi/strimzi-kafka-operator", "1.2.0", "packaging/install/cluster-operator/043-Crd-kafkatopic.yaml"),
    ("strimzi/strimzi-kafka-operator", "1.2.0", "packaging/install/cluster-operator/045-Crd-kafkanodepool.yaml"),
    ("cloudnative-pg/cloudnative-pg", "v1.30.0", "config/crd/bases/postgresql.cnpg.io_clusters.yaml"),
    ("cloudnative-pg/cloudnative-pg", "v1.30.0", "config/crd/bases/postgresql.cnpg.io_databases.yaml"),
    ("cloudnative-pg/cloudnative-pg", "v1.30.0", "config/crd/bases/postgresql.cnpg.io_scheduledbackups.yaml"),
    ("cloudnative-pg/plugin-barman-cloud", "v0.14.0", "config/crd/bases/barmancloud.cnpg.io_objectstores.yaml"),
    ("prometheus-operator/prometheus-operator", "v0.93.0",
     "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"),
    ("prometheus-operator/prometheus-operator", "v0.93.0",
     "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml"),
    ("prometheus-operator/prometheus-operator", "v0.93.0",
     "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml"),
)

_KEEP = {
    "type", "properties", "items", "required", "enum", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "pattern", "minItems", "maxItems", "minLength", "maxLength", "minProperties",
    "maxProperties", "uniqueItems", "oneOf", "anyOf", "allOf", "not", "additionalProperties", "format",
}


def to_json_schema(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in _KEEP:
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(child) for name, child in value.items()}
        elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
            out[key] = to_json_schema(value)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [to_json_schema(child) for child in value]
        elif key == "pattern":
            try:
                re.compile(value)
            except re.error:
                continue
            out[key] = value
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


def read_source(repo: str, tag: str, path: str, git_mirrors: Path | None) -> str:
    if git_mirrors is not None:
        git_dir = git_mirrors / repo.replace("/", "+") / "repo"
        return subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{tag}:{path}"],
                              check=True, capture_output=True, text=True).stdout
    url = f"https://raw.githubusercontent.com/{repo}/{tag}/{path}"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - fixed https URL
        return response.read().decode()


def write_schemas(crd: dict, source: str) -> list[Path]:
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    written = []
    for version in crd["spec"]["versions"]:
        if not version.get("served"):
            continue
        schema = to_json_schema(version["schema"]["openAPIV3Schema"])
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$comment": source, **schema}
        path = HERE / group / f"{kind.lower()}_{version['name']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--git-mirrors", type=Path, help="read from bare clones instead of downloading")
    args = parser.parse_args()
    for repo, tag, path in SOURCES:
        crd = yaml.safe_load(read_source(repo, tag, path, args.git_mirrors))
        for written in write_schemas(crd, f"github.com/{repo}@{tag}/{path}"):
            print(f"wrote {written.relative_to(HERE)}")


if __name__ == "__main__":
    main()
