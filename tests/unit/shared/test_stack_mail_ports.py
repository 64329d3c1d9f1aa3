"""`orderpulse up` refuses a mail port in use by its number, before it starts anything."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from orderpulse.services import installed_services
from orderpulse.stack.processes import PortInUse, free_port
from orderpulse.stack.settings import StackSettings
from orderpulse.stack.supervisor import start_stack


@pytest.mark.parametrize("taken", ["mail_smtp_port", "mail_http_port"])
def test_a_mail_port_in_use_is_named_and_nothing_starts(tmp_path: Path, taken: str):
    ports = {"mail_smtp_port": free_port(), "mail_http_port": free_port()}
    said: list[str] = []
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports[taken]))
        squatter.listen()
        settings = StackSettings(
            state_dir=tmp_path / "state",
            postgres_port=free_port(),
            kafka_port=free_port(),
            service_ports={manifest.name: free_port() for manifest in installed_services()},
            **ports,
        )
        with pytest.raises(PortInUse, match=f"port {ports[taken]} "):
            start_stack(settings, said.append)

    assert not any(line.startswith(("Mail:", "PostgreSQL:", "Kafka:")) for line in said), said
    assert not (tmp_path / "state" / "postgres").exists()
    assert not (tmp_path / "state" / "logs").exists()
