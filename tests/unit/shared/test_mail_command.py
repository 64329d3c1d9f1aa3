"""`orderpulse mail` reads the state folder as a person would, stack running or not."""

from __future__ import annotations

from pathlib import Path

import pytest
from mailbox_messages import email
from orderpulse.cli import main
from orderpulse.stack.mailbox.mail import Mailbox
from orderpulse.stack.mailbox.texts import TextMessages


@pytest.fixture
def state(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("ORDERPULSE_STATE_DIR", str(tmp_path))
    Mailbox(tmp_path / "mail").store(email("<1@x>", subject="Order ord_1 confirmed"))
    TextMessages(tmp_path / "sms").store("sms", "ntf_1", {"to": "+4915112345678", "text": "Paket unterwegs"})
    return tmp_path


def test_mail_lists_the_mail_and_the_sms(state: Path, capsys):
    assert main(["mail"]) == 0
    out = capsys.readouterr().out
    assert f"Mail in {state / 'mail'} (1):" in out
    assert "ada@example.com" in out and "Order ord_1 confirmed" in out
    assert "+4915112345678" in out and "Paket unterwegs" in out


def test_mail_show_prints_one_message_its_source_or_an_sms(state: Path, capsys):
    assert main(["mail", "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert "Subject: Order ord_1 confirmed" in shown and "It is on its way." in shown
    assert main(["mail", "show", "--raw", "1"]) == 0
    assert capsys.readouterr().out.startswith("From: OrderPulse <orders@orderpulse.local>")
    assert main(["mail", "show", "--sms", "1"]) == 0
    assert '"text": "Paket unterwegs"' in capsys.readouterr().out


def test_a_number_that_is_not_there_is_an_error_naming_it(state: Path, capsys):
    assert main(["mail", "show", "7"]) == 1
    assert "no mail number 7" in capsys.readouterr().out
