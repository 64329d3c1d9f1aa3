import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy_support import DEPLOY, load_yaml_documents, run  # noqa: E402

OVERLAYS = ("dev", "prod")


@pytest.fixture(scope="session")
def built_overlays() -> dict[str, list[dict]]:
    """`kubectl kustomize` of every overlay, parsed: {overlay: [documents]}."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl not found: the Kubernetes tests build the overlays with `kubectl kustomize`"
    built = {}
    for overlay in OVERLAYS:
        result = run([kubectl, "kustomize", str(DEPLOY / "k8s" / "overlays" / overlay)])
        assert result.returncode == 0, f"kustomize build of {overlay} failed:\n{result.stderr}"
        built[overlay] = load_yaml_documents(result.stdout)
    return built
