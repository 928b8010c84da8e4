"""The pure parts of the door: which errors mean an outage, which text cannot be stored."""

from __future__ import annotations

import errno
import socket
from typing import Any

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.adapters.outages import database_unreachable
from gateway.entrypoints.text_guard import control_characters, unstorable


def _caused_by(cause: BaseException) -> RuntimeError:
    try:
        try:
            raise cause
        except BaseException as error:
            raise RuntimeError("wrapped") from error
    except RuntimeError as wrapped:
        return wrapped


class _Invalidated(Exception):
    connection_invalidated = True  # as SQLAlchemy's DBAPIError says it


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
        ConnectionResetError(errno.ECONNRESET, "reset"),
        TimeoutError(),
        socket.gaierror(socket.EAI_NONAME, "no such host"),
        OSError(errno.EHOSTUNREACH, "no route to host"),
        asyncpg.exceptions.ConnectionDoesNotExistError("closed mid-operation"),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.TooManyConnectionsError("too many clients"),
        _caused_by(ConnectionResetError()),
        _Invalidated(),
    ],
)
def test_unreachable_database_errors_are_outages(error: BaseException) -> None:
    assert database_unreachable(error)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug"),
        ValueError("bad"),
        FileNotFoundError(errno.ENOENT, "no artifact"),
        PermissionError(errno.EACCES, "denied"),
        asyncpg.exceptions.UndefinedTableError("relation does not exist"),
        asyncpg.exceptions.InterfaceError("another operation is in progress"),
    ],
)
def test_other_errors_are_not_outages(error: BaseException) -> None:
    assert not database_unreachable(error)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a\x00b", "NUL"),
        ({"title": ["ok", "a\ud800"]}, "lone surrogates"),
        ({"k\x00": 1}, "NUL"),
        ({"title": "Psautier — f. 12ʳ", "n": [1, 2.5, None, True]}, None),
    ],
)
def test_unstorable_text_is_found_anywhere_in_a_body(value: Any, reason: str | None) -> None:
    found = unstorable(value)
    assert (found is None) if reason is None else (reason in (found or ""))


def scope(path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    return {"type": "http", "path": path, "query_string": query, "headers": headers or []}


def test_control_characters_are_located_in_path_query_and_headers() -> None:
    errors = control_characters(
        scope(
            "/v1/pages/a\x00b",
            b"stream=page-%00&types=ok&x%0A=1",
            [(b"x-note", b"a\x01b"), (b"x-tab", b"a\tb")],
        )
    )
    assert [e["loc"] for e in errors] == [
        ["path"],
        ["query", "stream"],
        ["query", "x\n"],
        ["header", "x-note"],
    ]
    assert errors[0]["msg"] == "control character U+0000 is not allowed"


@given(
    st.text(
        alphabet=st.characters(
            min_codepoint=0x20, exclude_characters="\x7f", exclude_categories=["Cs"]
        )
    )
)
def test_printable_text_passes(text: str) -> None:
    quoted = text.encode("utf-8").hex()  # any query value, percent-encoded byte by byte
    query = b"q=" + b"".join(b"%" + quoted[i : i + 2].encode() for i in range(0, len(quoted), 2))
    assert control_characters(scope("/v1/events", query)) == []
