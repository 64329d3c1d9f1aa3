"""Prometheus and Alertmanager beside the embedded stack (`orderpulse up --with-prometheus`).

Prometheus runs the project's own `deploy/prometheus/prometheus.yml` and rule files: the scrape
jobs named after services point at the services of the running stack (a service that is not
running loses its job), Prometheus and Alertmanager at themselves. Alertmanager gets a local
configuration that keeps alerts on its page instead of e-mailing anyone. The binaries come from
Debian's `prometheus` and `prometheus-alertmanager` packages, which `scripts/install_tools.sh`
unpacks into `.tools/`; both processes join the stack's processes, so they are watched and
stopped with everything else.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
import yaml
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderpulse.stack.files import replace_file
from orderpulse.stack.processes import ensure_port_free, spawn
from orderpulse.stack.supervisor import RunningStack, Say

_TOOLS = {"prometheus": ".tools/prometheus/usr/bin/prometheus",
          "alertmanager": ".tools/alertmanager/usr/bin/prometheus-alertmanager"}


class MonitoringSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERPULSE_", frozen=True, extra="ignore")

    prometheus_port: int = 9090
    alertmanager_port: int = 9093
    prometheus_bin: Path | None = None
    alertmanager_bin: Path | None = None
    # The project's deploy/ folder (prometheus.yml, rules); found from the checkout when unset.
    deploy_dir: Path | None = None
    # Shorter intervals make a demo or a test see alerts sooner; None keeps prometheus.yml's.
    prometheus_scrape_interval: str | None = None
    prometheus_evaluation_interval: str | None = None
    monitoring_ready_timeout_s: float = 30.0


@dataclass(frozen=True)
class Monitoring:
    prometheus_url: str
    alertmanager_url: str
    alerts_page: str


def _checkout() -> Path | None:
    for folder in (Path.cwd(), *Path(__file__).resolve().parents):
        if (folder / "deploy" / "prometheus" / "prometheus.yml").exists():
            return folder
    return None


def find_binary(name: str, configured: Path | None) -> Path | None:
    if configured is not None:
        return configured if configured.exists() else None
    checkout = _checkout()
    if checkout is not None and (checkout / _TOOLS[name]).exists():
        return checkout / _TOOLS[name]
    found = shutil.which(Path(_TOOLS[name]).name)
    return Path(found) if found else None


def available(settings: MonitoringSettings | None = None) -> bool:
    """True when both servers and the project's configuration are at hand (`orderpulse demo` then starts them)."""
    settings = settings or MonitoringSettings()
    return (find_binary("prometheus", settings.prometheus_bin) is not None
            and find_binary("alertmanager", settings.alertmanager_bin) is not None
            and (settings.deploy_dir or _checkout()) is not None)


def prometheus_config(project: dict, services: dict[str, str], *, prometheus: str, alertmanager: str,
                      rules_dir: Path, settings: MonitoringSettings) -> dict:
    """The project's prometheus.yml, pointed at the running stack."""
    config = dict(project)
    config["global"] = dict(project.get("global", {}), external_labels={"environment": "local"})
    if settings.prometheus_scrape_interval:
        config["global"]["scrape_interval"] = settings.prometheus_scrape_interval
        config["global"]["scrape_timeout"] = settings.prometheus_scrape_interval
    if settings.prometheus_evaluation_interval:
        config["global"]["evaluation_interval"] = settings.prometheus_evaluation_interval
    config["rule_files"] = [str(rules_dir / Path(pattern).name) for pattern in project.get("rule_files", [])]
    config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    addresses = {name: urlsplit(url).netloc for name, url in services.items()}
    addresses.update(prometheus=prometheus, alertmanager=alertmanager)
    jobs = []
    for job in project.get("scrape_configs", []):
        if job["job_name"] in addresses:
            jobs.append(dict(job, static_configs=[{"targets": [addresses[job["job_name"]]]}]))
    config["scrape_configs"] = jobs
    return config


def alertmanager_config() -> dict:
    return {
        "route": {"receiver": "local", "group_by": ["alertname", "service", "kpi"],
                  "group_wait": "10s", "group_interval": "1m", "repeat_interval": "4h"},
        "receivers": [{"name": "local"}],
    }


def start_monitoring(stack: RunningStack, say: Say = print,
                     settings: MonitoringSettings | None = None) -> Monitoring:
    """Start Prometheus and Alertmanager for a running stack; raises (leaving the stack up) on failure."""
    settings = settings or MonitoringSettings()
    host = stack.settings.host
    prometheus_bin = find_binary("prometheus", settings.prometheus_bin)
    alertmanager_bin = find_binary("alertmanager", settings.alertmanager_bin)
    deploy_dir = settings.deploy_dir or ((_checkout() or Path(".")) / "deploy")
    if prometheus_bin is None or alertmanager_bin is None:
        raise RuntimeError("Prometheus or Alertmanager is not installed: run `bash scripts/install_tools.sh` "
                           "(it unpacks Debian's prometheus and prometheus-alertmanager into .tools/)")
    ensure_port_free(host, settings.prometheus_port, "Prometheus")
    ensure_port_free(host, settings.alertmanager_port, "Alertmanager")
    state = stack.settings.state_dir.resolve()
    folder = state / "monitoring"
    folder.mkdir(parents=True, exist_ok=True)
    prometheus = f"{host}:{settings.prometheus_port}"
    alertmanager = f"{host}:{settings.alertmanager_port}"
    project = yaml.safe_load((deploy_dir / "prometheus" / "prometheus.yml").read_text())
    config = prometheus_config(project, stack.services, prometheus=prometheus, alertmanager=alertmanager,
                               rules_dir=(deploy_dir / "prometheus" / "rules").resolve(), settings=settings)
    # JSON is YAML: both servers read these files as they are.
    (folder / "prometheus.yml").write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2))
    (folder / "alertmanager.yml").write_bytes(orjson.dumps(alertmanager_config(), option=orjson.OPT_INDENT_2))
    prometheus_url, alertmanager_url = f"http://{prometheus}", f"http://{alertmanager}"
    say(f"Alertmanager: starting on {alertmanager} ...")
    stack.processes["alertmanager"] = spawn(
        [str(alertmanager_bin), f"--config.file={folder / 'alertmanager.yml'}",
         f"--storage.path={folder / 'alertmanager-data'}", f"--web.listen-address={alertmanager}",
         "--cluster.listen-address=", f"--web.external-url={alertmanager_url}"],
        log_path=state / "logs" / "alertmanager.log", env=dict(os.environ))
    say(f"Prometheus: starting on {prometheus} with the rules of {deploy_dir / 'prometheus' / 'rules'} ...")
    command = [str(prometheus_bin), f"--config.file={folder / 'prometheus.yml'}",
               f"--storage.tsdb.path={folder / 'prometheus-data'}", f"--web.listen-address={prometheus}",
               f"--web.external-url={prometheus_url}"]
    # Debian's server looks for its web pages under /usr/share; the unpacked package has them beside it.
    assets = prometheus_bin.parent.parent / "share" / "prometheus" / "web"
    if assets.is_dir():
        command.append(f"--web.local-assets={assets}/")
    stack.processes["prometheus"] = spawn(command, log_path=state / "logs" / "prometheus.log", env=dict(os.environ))
    for name, url in (("alertmanager", alertmanager_url), ("prometheus", prometheus_url)):
        _wait_ready(name, url, stack, settings.monitoring_ready_timeout_s)
    monitoring = Monitoring(prometheus_url, alertmanager_url, _alerts_page(prometheus_url))
    _add_to_stack_json(state / "stack.json", monitoring)
    return monitoring


def _alerts_page(prometheus_url: str) -> str:
    """Debian builds Prometheus without the React UI: its alerts page is the classic one."""
    for path in ("/alerts", "/classic/alerts"):
        try:
            if httpx.get(prometheus_url + path, timeout=5).status_code == 200:
                return prometheus_url + path
        except httpx.HTTPError:
            pass
    return prometheus_url + "/alerts"


def _wait_ready(name: str, url: str, stack: RunningStack, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    log = stack.settings.state_dir.resolve() / "logs" / f"{name}.log"
    with httpx.Client(timeout=2.0) as client:
        while True:
            process = stack.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode}; see {log}")
            try:
                if client.get(url + "/-/ready").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} not ready within {timeout_s} s; see {log}")
            time.sleep(0.2)


def _add_to_stack_json(path: Path, monitoring: Monitoring) -> None:
    described = orjson.loads(path.read_bytes())
    described.update(prometheus_url=monitoring.prometheus_url, alertmanager_url=monitoring.alertmanager_url,
                     alerts_page=monitoring.alerts_page)
    replace_file(path, orjson.dumps(described, option=orjson.OPT_INDENT_2))


def summary(monitoring: Monitoring) -> list[str]:
    return [
        f"Prometheus        {monitoring.prometheus_url}   alerts: {monitoring.alerts_page}",
        f"Alertmanager      {monitoring.alertmanager_url}",
    ]


def start_beside(stack: RunningStack, say: Say = print, *, required: bool = True) -> list[str] | None:
    """For the CLI: start monitoring and return the lines that tell where it is. On failure say
    why; when it was asked for (`required`), stop the stack and return None, else go on without."""
    from orderpulse.stack.processes import stop
    from orderpulse.stack.supervisor import stop_stack

    try:
        return summary(start_monitoring(stack, say))
    except Exception as error:  # noqa: BLE001 - any failure to start is reported
        if required:
            say(f"error: {error}")
            stop_stack(stack, say)
            return None
        say(f"Prometheus and Alertmanager not started ({error}); the stack runs without them")
        for name in ("prometheus", "alertmanager"):
            if name in stack.processes:
                stop(stack.processes.pop(name))
        return []
    except BaseException:
        stop_stack(stack, say)
        raise
