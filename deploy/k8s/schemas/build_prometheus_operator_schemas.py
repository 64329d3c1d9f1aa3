"""Derive the ServiceMonitor and PrometheusRule JSON Schemas from a registry package.

The PyPI package cloudcoil-models-prometheus-operator holds pydantic models generated from the
prometheus-operator CRDs (its version is the operator's: 0.80.1). This script turns the models'
JSON Schema into strict CRD-like schemas and writes them beside this file:

  * `X or null` becomes `X` (the API server treats null as absent; we want the manifests clean),
  * every object that lists its properties rejects others (like `kubectl --validate=strict`),
  * titles and defaults are dropped, and patterns Python's `re` cannot compile are removed.

Run it in a throwaway virtualenv, not the project's:

  python -m venv /tmp/cc && /tmp/cc/bin/pip install cloudcoil-models-prometheus-operator==0.80.1.0
  /tmp/cc/bin/python deploy/k8s/schemas/build_prometheus_operator_schemas.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cloudcoil.models.prometheus_operator import v1

HERE = Path(__file__).resolve().parent / "monitoring.coreos.com"
SOURCE = "cloudcoil-models-prometheus-operator 0.80.1.0 (PyPI), generated from the prometheus-operator v0.80.1 CRDs"


def strict(node: Any) -> Any:
    if isinstance(node, list):
        return [strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: strict(value) for key, value in node.items() if key not in ("title", "default")}
    options = node.get("anyOf")
    if isinstance(options, list):
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(options):
            node.pop("anyOf")
            node.update(kept[0])
        elif len(kept) < len(options):
            node["anyOf"] = kept
    if "pattern" in node:
        try:
            re.compile(node["pattern"])
        except re.error:
            node.pop("pattern")
    if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    return node


def schema_for(model: type, kind: str) -> dict:
    schema = strict(model.model_json_schema(by_alias=True, mode="validation"))
    schema["required"] = sorted({"apiVersion", "kind", "metadata", *schema.get("required", [])})
    schema["properties"]["apiVersion"] = {"const": "monitoring.coreos.com/v1"}
    schema["properties"]["kind"] = {"const": kind}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$comment": SOURCE, **schema}


def main() -> None:
    for model, kind in ((v1.ServiceMonitor, "ServiceMonitor"), (v1.PrometheusRule, "PrometheusRule")):
        path = HERE / f"{kind.lower()}_v1.json"
        path.write_text(json.dumps(schema_for(model, kind), indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
