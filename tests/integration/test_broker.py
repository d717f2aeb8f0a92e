"""The embedded broker: kombu's filesystem transport with atomic writes (config/broker.py)."""

from __future__ import annotations

import pytest
from kombu import Connection


@pytest.fixture
def connection(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    with Connection(
        "filesystem://", transport="config.broker:Transport", transport_options=options
    ) as conn:
        yield conn, folder


def test_a_message_is_written_whole_under_its_final_name(connection):
    conn, folder = connection
    queue = conn.SimpleQueue("cas")
    queue.put({"task": "sweep"})
    names = [p.name for p in folder.iterdir()]
    assert len(names) == 1 and names[0].endswith(".cas.msg"), names  # no partial file left
    message = queue.get(timeout=1)
    assert message.payload == {"task": "sweep"}
    message.ack()
    queue.close()


def test_an_undecodable_file_is_dropped_not_fatal(connection):
    conn, folder = connection
    queue = conn.SimpleQueue("cas")
    (folder / "0_truncated.cas.msg").write_bytes(b"")  # what a torn write used to leave
    queue.put({"task": "after"})
    # The empty file sorts first: it is dropped with a warning and the worker goes on to the
    # next message instead of dying on a JSON error.
    message = queue.get(timeout=1)
    assert message.payload == {"task": "after"}
    message.ack()
    assert not (folder / "0_truncated.cas.msg").exists()
    with pytest.raises(queue.Empty):
        queue.get(timeout=0.1)
    queue.close()
