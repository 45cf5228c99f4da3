"""TCP connects: does anything accept a connection on the endpoint?"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import time

from checks.model.observations import TcpConnect

_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}
# This machine's own limits: out of file descriptors, buffers or memory.
_LOCAL = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
IN_FLIGHT = 64  # connection attempts at once, so thousands of addresses do not exhaust files


async def connect(address: str, port: int, timeout: float) -> TcpConnect:
    started = time.monotonic()

    def seen(error: str | None, detail: str = "", local: str = "") -> TcpConnect:
        return TcpConnect(address, port, error, detail, round(time.monotonic() - started, 3),
                          local)

    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    except TimeoutError:
        return seen("timeout", f"no answer to the connection attempt within {timeout:g} s")
    except ConnectionRefusedError:
        return seen("refused", "connection refused (TCP reset)")
    except OSError as error:
        kind = ("local_limit" if error.errno in _LOCAL else
                "unreachable" if error.errno in _UNREACHABLE else "error")
        return seen(kind, error.strerror or str(error))
    local = writer.get_extra_info("sockname")
    writer.close()
    with contextlib.suppress(OSError):  # the peer may reset first; the connect succeeded
        await writer.wait_closed()
    return seen(None, "connected", str(local[0]) if local else "")
