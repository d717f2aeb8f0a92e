"""kombu's ``filesystem://`` transport, made safe for writers and readers in many processes.

kombu writes a message by opening its final ``*.msg`` name and only then writing the body,
and reads without taking the writer's lock, so a worker polling at the wrong instant reads an
empty file, fails to decode it and exits (seen in the worker + beat integration test). Here a
message is written under a temporary name that no reader looks at and renamed into place,
which is atomic on one file system: a reader sees the whole message or none. A file that
still does not decode (truncated by hand, a disk error) is dropped with a warning instead of
stopping the worker; nothing is lost that matters, because every task here is idempotent and
re-derives its work from the database (the sweep and the fan-out catch-up run on a beat).
"""

from __future__ import annotations

import logging
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        try:
            return super()._get(queue)
        except ValueError:
            logger.warning("dropped an undecodable message file from queue %s", queue)
            raise Empty() from None


class Transport(filesystem.Transport):
    Channel = Channel
