"""Loaded at start-up of a subprocess whose PYTHONPATH names this folder: every attempt
to reach a non-loopback address (connect, connect_ex, sendto, getaddrinfo of a remote
name) is written to $CLM_NET_GUARD_LOG and refused with an OSError."""

from __future__ import annotations

import ipaddress
import os
import socket

_LOG = os.environ.get("CLM_NET_GUARD_LOG", "")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str) or host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str, target: object) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what} {target!r}\n")
    raise OSError(101, f"network access forbidden by the test guard: {what} {target!r}")


def _check_address(what: str, family: int, address: object) -> None:
    if family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and not _loopback(address[0]):
        _refuse(what, address)


_connect, _connect_ex, _sendto, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto, socket.getaddrinfo


def connect(self, address):  # noqa: ANN001
    _check_address("connect", self.family, address)
    return _connect(self, address)


def connect_ex(self, address):  # noqa: ANN001
    _check_address("connect_ex", self.family, address)
    return _connect_ex(self, address)


def sendto(self, data, *args):  # noqa: ANN001
    _check_address("sendto", self.family, args[-1])
    return _sendto(self, data, *args)


def getaddrinfo(host, *args, **kwargs):  # noqa: ANN001
    if not _loopback(host):
        _refuse("getaddrinfo", host)
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto, socket.getaddrinfo = connect, connect_ex, sendto, getaddrinfo
