"""Write services/<svc>/Dockerfile from deploy/docker/service.Dockerfile (or --check them)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog import SERVICES, Service  # noqa: E402
from generated import DEPLOY_DIR, REPO_ROOT, main  # noqa: E402

TEMPLATE = DEPLOY_DIR / "docker" / "service.Dockerfile"


def render_dockerfile(template: str, service: Service) -> str:
    defaults = {"SERVICE": service.name, "PACKAGE": service.package, "PORT": str(service.port), "LOOP": service.loop}
    lines = []
    for line in template.splitlines():
        for name, value in defaults.items():
            if line == f"ARG {name}" and not lines_have_from(lines):
                line = f"ARG {name}={value}"
        lines.append(line)
    header = [
        "# syntax=docker/dockerfile:1",
        f"# {service.name}: generated from deploy/docker/service.Dockerfile by deploy/docker/render.py.",
        "# Build from the repository root:",
        f"#   docker build -f services/{service.name}/Dockerfile -t orderpulse/{service.name} .",
    ]
    body = lines[lines.index("ARG PYTHON_IMAGE=python:3.11-slim"):]
    return "\n".join(header + [""] + body) + "\n"


def lines_have_from(lines: list[str]) -> bool:
    return any(line.startswith("FROM ") for line in lines)


def render() -> dict[Path, str]:
    template = TEMPLATE.read_text()
    return {
        REPO_ROOT / "services" / service.name / "Dockerfile": render_dockerfile(template, service)
        for service in SERVICES
    }


if __name__ == "__main__":
    sys.exit(main(render, __doc__))
