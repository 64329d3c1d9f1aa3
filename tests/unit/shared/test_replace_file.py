"""stack.json and the credentials file hold API keys and are read by other processes while
`orderpulse up` (re)writes them: a reader must see a whole file, and nobody else any of it."""

import stat
import threading

from orderpulse.stack.files import replace_file


def test_a_replaced_file_has_the_new_content_is_private_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "stack.json"
    path.write_bytes(b'{"old": true}')
    path.chmod(0o644)

    replace_file(path, b'{"new": true}')

    assert path.read_bytes() == b'{"new": true}'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [entry.name for entry in tmp_path.iterdir()] == ["stack.json"]


def test_a_reader_racing_the_writer_only_ever_sees_a_whole_file(tmp_path):
    path = tmp_path / "stack.json"
    versions = [(b'{"version": %d, "padding": "' % n) + b"x" * 50_000 + b'"}' for n in range(200)]
    replace_file(path, versions[0])
    seen: list[bytes] = []
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            seen.append(path.read_bytes())

    reader = threading.Thread(target=read_until_done)
    reader.start()
    for content in versions[1:]:
        replace_file(path, content)
    done.set()
    reader.join()

    assert seen, "the reader read nothing"
    assert set(seen) <= set(versions), "a reader saw a half-written file"
