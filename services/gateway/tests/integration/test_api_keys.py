"""Named API keys over HTTP, on two gateway replicas sharing one PostgreSQL: lifecycle, audit
events with their actor, refusals, and rate limits that hold across replicas."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gateway.adapters.api_keys import create_api_key
from infra.testing.pipeline import eventually

from .conftest import Keys, ServedGateway

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
KEY_EVENTS = "api_key.created,api_key.grants_changed,api_key.revoked"


@pytest.fixture
def replicas(start_gateway: Callable[..., ServedGateway]) -> tuple[ServedGateway, ServedGateway]:
    return start_gateway(), start_gateway()


@pytest.fixture
async def admin_clients(
    replicas: tuple[ServedGateway, ServedGateway], keys: Keys
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """An admin's client on each replica."""
    headers = {"X-API-Key": keys.admin}
    async with (
        httpx.AsyncClient(base_url=replicas[0].url, headers=headers, timeout=10) as first,
        httpx.AsyncClient(base_url=replicas[1].url, headers=headers, timeout=10) as second,
    ):
        yield first, second


def as_key(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


async def event_count(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM events"))


async def key_events(admin: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await admin.get("/v1/events", params={"types": KEY_EVENTS, "limit": 1000})
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


async def new_corpus(admin: httpx.AsyncClient, slug: str) -> str:
    created = await admin.post("/v1/corpora", json={"slug": slug, "title": slug.title()})
    assert created.status_code == 202, created.text
    return str(created.json()["id"])


async def test_a_revoked_key_is_refused_by_both_replicas_within_two_seconds(
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient], keys: Keys
) -> None:
    first, second = admin_clients
    # An admin creates a key for a person on one replica; the secret is answered once.
    created = await first.post("/v1/keys", json={"name": "Alice Martin", "scopes": ["write"]})
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    key_id, secret = body["id"], body["secret"]
    assert created.headers["location"] == f"/v1/keys/{key_id}"
    assert (body["name"], body["status"], body["scopes"]) == ("Alice Martin", "active", ["write"])

    # The key works on both replicas at once.
    for client in admin_clients:
        assert (await client.get("/v1/corpora", headers=as_key(secret))).status_code == 200

    # Revoked through the other replica: from then on, both refuse it.
    revoked = await second.delete(f"/v1/keys/{key_id}", params={"reason": "left the project"})
    revoked_at = time.monotonic()
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"

    async def refused_by_both() -> bool:
        answers = [await c.get("/v1/corpora", headers=as_key(secret)) for c in admin_clients]
        return all(a.status_code == 401 for a in answers)

    await eventually(refused_by_both, timeout=2.0, every=0.02)
    assert time.monotonic() - revoked_at < 2.0
    for client in admin_clients:
        refusal = await client.get("/v1/corpora", headers=as_key(secret))
        assert refusal.headers["content-type"] == PROBLEM
        assert refusal.json()["type"] == "https://recto.dev/problems/unauthenticated"
        assert refusal.json()["detail"] == "this API key was revoked"
        assert refusal.headers["www-authenticate"].startswith("Bearer")

    # Revoking again changes nothing and records nothing more.
    again = await first.delete(f"/v1/keys/{key_id}")
    assert (again.status_code, again.json()["status"]) == (200, "revoked")
    revocations = [e for e in await key_events(first) if e["type"] == "api_key.revoked"]
    assert len(revocations) == 1
    assert revocations[0]["data"] == {"key_id": key_id, "reason": "left the project"}


async def test_the_log_says_who_made_changed_and_revoked_each_key(
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient], keys: Keys
) -> None:
    first, _ = admin_clients
    listing = (await first.get("/v1/keys")).json()["items"]
    [admin] = [k for k in listing if "admin" in k["scopes"]]
    admin_actor = f"{admin['name']}/{admin['id']}"
    corpus = await new_corpus(first, "audited")

    created = (await first.post("/v1/keys", json={"name": "ingest bot", "scopes": ["read"]})).json()
    changed = await first.patch(
        f"/v1/keys/{created['id']}", json={"scopes": ["write"], "corpora": [corpus]}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["scopes"], changed.json()["corpora"]) == (["write"], [corpus])
    await first.delete(f"/v1/keys/{created['id']}")

    events = await key_events(first)
    # The fixture's keys were made straight in the database: their actor is `bootstrap`.
    bootstrapped = [e for e in events if e["data"]["key_id"] == admin["id"]]
    assert [(e["type"], e["metadata"]["actor"]) for e in bootstrapped] == [
        ("api_key.created", "bootstrap")
    ]
    mine = [e for e in events if e["data"]["key_id"] == created["id"]]
    assert [(e["type"], e["metadata"]["actor"]) for e in mine] == [
        ("api_key.created", admin_actor),
        ("api_key.grants_changed", admin_actor),
        ("api_key.revoked", admin_actor),
    ]
    assert [e["stream_id"] for e in mine] == [f"api_key-{created['id']}"] * 3
    assert mine[1]["data"] == {
        "key_id": created["id"],
        "scopes": ["write"],
        "corpora": [corpus],
        "expires_at": None,
    }
    # The log holds the secret's sha256, never the secret.
    secret = created["secret"]
    assert mine[0]["data"]["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(events)
    listed = (await first.get(f"/v1/keys/{created['id']}")).json()
    assert "secret" not in listed
    assert listed["created_by"] == admin_actor

    # Who holds which key is for admins: a reader's log leaves the keys' events out.
    as_reader = await first.get("/v1/events", headers=as_key(keys.read), params={"limit": 1000})
    assert as_reader.status_code == 200
    assert not [e for e in as_reader.json()["events"] if e["type"].startswith("api_key.")]
    assert as_reader.json()["next_after"] == events[-1]["position"]
    stream = await first.get(
        "/v1/events", headers=as_key(keys.read), params={"stream": f"api_key-{created['id']}"}
    )
    assert stream.status_code == 403


async def test_an_expired_key_stops_working(
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = admin_clients
    expires_at = datetime.now(UTC) + timedelta(seconds=2)
    created = await first.post(
        "/v1/keys",
        json={"name": "short-lived", "scopes": ["read"], "expires_at": expires_at.isoformat()},
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert (await second.get("/v1/corpora", headers=as_key(secret))).status_code == 200

    async def refused() -> bool:
        return (await second.get("/v1/corpora", headers=as_key(secret))).status_code == 401

    await eventually(refused, timeout=30)
    assert datetime.now(UTC) >= expires_at
    refusal = (await first.get("/v1/corpora", headers=as_key(secret))).json()
    assert refusal["detail"].startswith("this API key expired at ")
    listed = (await first.get(f"/v1/keys/{created.json()['id']}")).json()
    assert listed["status"] == "expired"

    # An admin may extend it: it works again on both replicas.
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    extended = await second.patch(f"/v1/keys/{created.json()['id']}", json={"expires_at": later})
    assert extended.json()["status"] == "active"
    for client in admin_clients:
        assert (await client.get("/v1/corpora", headers=as_key(secret))).status_code == 200


async def test_narrowed_grants_hide_the_other_corpus_at_once(
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = admin_clients
    kept, dropped = await new_corpus(first, "kept"), await new_corpus(first, "dropped")
    created = await first.post(
        "/v1/keys", json={"name": "reader", "scopes": ["read"], "corpora": [kept, dropped]}
    )
    assert created.status_code == 201, created.text
    key_id, secret = created.json()["id"], created.json()["secret"]

    async def both_visible() -> bool:
        answers = [
            await second.get(f"/v1/corpora/{c}", headers=as_key(secret)) for c in (kept, dropped)
        ]
        return all(a.status_code == 200 for a in answers)

    await eventually(both_visible)  # the read models follow the log

    narrowed = await first.patch(f"/v1/keys/{key_id}", json={"corpora": [kept]})
    assert narrowed.status_code == 200, narrowed.text
    for client in admin_clients:
        gone = await client.get(f"/v1/corpora/{dropped}", headers=as_key(secret))
        assert gone.status_code == 404
        assert gone.headers["content-type"] == PROBLEM
        assert (await client.get(f"/v1/corpora/{kept}", headers=as_key(secret))).status_code == 200
        listing = (await client.get("/v1/corpora", headers=as_key(secret))).json()
        assert [c["id"] for c in listing["items"]] == [kept]

    # `corpora: null` grants every corpus again.
    widened = await second.patch(f"/v1/keys/{key_id}", json={"corpora": None})
    assert widened.json()["corpora"] is None
    assert (await first.get(f"/v1/corpora/{dropped}", headers=as_key(secret))).status_code == 200


async def test_only_admins_of_every_corpus_manage_keys(
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient], keys: Keys, pool: asyncpg.Pool
) -> None:
    first, _ = admin_clients
    corpus = await new_corpus(first, "limited")
    limited_admin = await create_api_key(pool, ["admin"], [UUID(corpus)])
    before = await event_count(pool)
    target = (await first.get("/v1/keys")).json()["items"][0]["id"]
    for secret, detail in (
        (keys.read, "this API key lacks the 'admin' scope"),
        (keys.write, "this API key lacks the 'admin' scope"),
        (limited_admin, "managing API keys needs an admin key not limited to corpora"),
    ):
        for method, path, body in (
            ("GET", "/v1/keys", None),
            ("POST", "/v1/keys", {"name": "sneaky", "scopes": ["admin"]}),
            ("GET", f"/v1/keys/{target}", None),
            ("PATCH", f"/v1/keys/{target}", {"scopes": ["admin"]}),
            ("DELETE", f"/v1/keys/{target}", None),
        ):
            answer = await first.request(method, path, json=body, headers=as_key(secret))
            assert answer.status_code == 403, (method, path, answer.text)
            assert answer.headers["content-type"] == PROBLEM
            assert answer.json()["type"] == "https://recto.dev/problems/forbidden"
            assert answer.json()["detail"] == detail
    anonymous = await first.get("/v1/keys", headers={"X-API-Key": ""})
    assert anonymous.status_code == 401
    unknown = await first.get("/v1/keys", headers=as_key("rk_000000000000_nothing"))
    assert (unknown.status_code, unknown.json()["detail"]) == (401, "this API key is not known")
    assert await event_count(pool) == before


@pytest.mark.parametrize(
    ("body", "where", "says"),
    [
        ({"name": "x", "scopes": ["read", "superuser"]}, ["body", "scopes", 1], "'admin'"),
        ({"name": "x", "scopes": []}, ["body", "scopes"], "at least 1"),
        ({"name": "bell\x07", "scopes": ["read"]}, ["body", "name"], "U+0007"),
        ({"name": "two\nlines", "scopes": ["read"]}, ["body", "name"], "U+000A"),
        ({"name": "rtl\u202eevil", "scopes": ["read"]}, ["body", "name"], "U+202E"),
        ({"name": "a" * 101, "scopes": ["read"]}, ["body", "name"], "at most 100"),
        ({"name": "", "scopes": ["read"]}, ["body", "name"], "at least 1"),
        ({"name": " padded", "scopes": ["read"]}, ["body", "name"], "white space"),
        (
            {"name": "x", "scopes": ["read"], "expires_at": "2030-01-01T00:00:00"},
            ["body", "expires_at"],
            "timezone",
        ),
        ({"name": "x", "scopes": ["read"], "owner": "me"}, ["body", "owner"], "not permitted"),
    ],
)
async def test_a_key_that_does_not_fit_the_schema_is_refused_precisely(
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    pool: asyncpg.Pool,
    body: dict[str, Any],
    where: list[Any],
    says: str,
) -> None:
    first, _ = admin_clients
    before = await event_count(pool)
    answer = await first.post("/v1/keys", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["type"] == "https://recto.dev/problems/invalid-request"
    [error] = [e for e in problem["errors"] if e["loc"] == where]
    assert says in error["msg"]
    assert await event_count(pool) == before
    assert await pool.fetchval("SELECT count(*) FROM gw_api_keys WHERE name = $1", "x") == 0


async def test_grants_and_expiry_that_cannot_be_are_refused_and_nothing_is_written(
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient], pool: asyncpg.Pool
) -> None:
    first, _ = admin_clients
    corpus = await new_corpus(first, "real")
    key_id = (await first.post("/v1/keys", json={"name": "k", "scopes": ["read"]})).json()["id"]
    ghost = str(uuid4())
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    before = await event_count(pool)
    for method, path, body, detail, problems in (
        (
            "POST",
            "/v1/keys",
            {"name": "g", "scopes": ["read"], "corpora": [corpus, ghost]},
            "a key can only be granted corpora that exist",
            [f"no corpus {ghost}"],
        ),
        (
            "PATCH",
            f"/v1/keys/{key_id}",
            {"corpora": [ghost]},
            "a key can only be granted corpora that exist",
            [f"no corpus {ghost}"],
        ),
        ("POST", "/v1/keys", {"name": "p", "scopes": ["read"], "expires_at": past}, None, None),
        ("PATCH", f"/v1/keys/{key_id}", {"expires_at": past}, None, None),
        (
            "PATCH",
            f"/v1/keys/{key_id}",
            {"scopes": None},
            "scopes may be changed, not removed: a key needs at least one",
            None,
        ),
    ):
        answer = await first.request(method, path, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        problem = answer.json()
        if detail is None:
            assert problem["detail"] == "expires_at must lie in the future"
        else:
            assert problem["detail"] == detail
        if problems is not None:
            assert problem["errors"] == problems
    # Unknown and malformed key ids, on every route that names one.
    for method in ("GET", "PATCH", "DELETE"):
        body = {"scopes": ["read"]} if method == "PATCH" else None
        missing = await first.request(method, "/v1/keys/ffffffffffff", json=body)
        assert (missing.status_code, missing.json()["detail"]) == (404, "no API key ffffffffffff")
        malformed = await first.request(method, "/v1/keys/NOT_AN_ID", json=body)
        assert malformed.status_code == 422
    bad_reason = await first.delete(f"/v1/keys/{key_id}", params={"reason": "a\x00b"})
    assert bad_reason.status_code == 422
    nul_name = await first.post("/v1/keys", json={"name": "a\x00b", "scopes": ["read"]})
    assert nul_name.status_code == 422
    assert await event_count(pool) == before
    assert (await first.get(f"/v1/keys/{key_id}")).json()["status"] == "active"


async def test_a_revoked_key_can_no_longer_be_changed(
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient], pool: asyncpg.Pool
) -> None:
    first, _ = admin_clients
    key_id = (await first.post("/v1/keys", json={"name": "k", "scopes": ["read"]})).json()["id"]
    await first.delete(f"/v1/keys/{key_id}")
    before = await event_count(pool)
    answer = await first.patch(f"/v1/keys/{key_id}", json={"scopes": ["admin"]})
    assert answer.status_code == 409
    assert answer.json()["type"] == "https://recto.dev/problems/conflict"
    assert await event_count(pool) == before


async def test_the_rate_limit_of_a_key_holds_across_replicas(
    start_gateway: Callable[..., ServedGateway], keys: Keys
) -> None:
    window = 3600

    # Counts start afresh with each window: begin well inside one.
    async def well_inside_a_window() -> bool:
        return window - time.time() % window > 60

    await eventually(well_inside_a_window, timeout=120, every=1)
    replicas = [
        start_gateway(rate_limit_requests=5, rate_limit_window_seconds=window) for _ in range(2)
    ]
    clients = [
        httpx.AsyncClient(base_url=r.url, headers=as_key(keys.write), timeout=10) for r in replicas
    ]
    try:
        statuses = []
        for index in range(8):
            client = clients[index % 2]
            answer = await client.post("/v1/corpora", json={"slug": f"r{index}", "title": "R"})
            statuses.append(answer.status_code)
        # Five commands in all passed, whichever replica they reached; the rest waited.
        assert statuses == [202] * 5 + [429] * 3
        limited = await clients[0].post("/v1/corpora", json={"slug": "late", "title": "L"})
        assert limited.headers["content-type"] == PROBLEM
        assert limited.json()["type"] == "https://recto.dev/problems/rate-limited"
        assert 1 <= int(limited.headers["retry-after"]) <= window
        # Reads are not counted; other keys have limits of their own.
        assert (await clients[1].get("/v1/corpora")).status_code == 200
        other = await clients[1].post(
            "/v1/corpora", json={"slug": "other", "title": "O"}, headers=as_key(keys.admin)
        )
        assert other.status_code == 202
    finally:
        for client in clients:
            await client.aclose()


async def test_last_use_is_recorded_in_batches(
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, second = admin_clients
    created = (await first.post("/v1/keys", json={"name": "user", "scopes": ["read"]})).json()
    assert created["last_used_at"] is None
    before = datetime.now(UTC)
    for _ in range(20):
        assert (
            await second.get("/v1/corpora", headers=as_key(created["secret"]))
        ).status_code == 200

    async def recorded() -> bool:
        key = (await first.get(f"/v1/keys/{created['id']}")).json()
        return key["last_used_at"] is not None

    await eventually(recorded)
    key = (await first.get(f"/v1/keys/{created['id']}")).json()
    assert datetime.fromisoformat(key["last_used_at"]) >= before - timedelta(seconds=1)


async def test_an_open_feed_ends_when_its_key_is_revoked_changed_or_expires(
    replicas: tuple[ServedGateway, ServedGateway],
    admin_clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    first, _ = admin_clients

    async def new_key(**extra: Any) -> tuple[str, str]:
        created = await first.post("/v1/keys", json={"name": "feed", "scopes": ["read"], **extra})
        assert created.status_code == 201, created.text
        return created.json()["id"], created.json()["secret"]

    async def closed_within_two_seconds(secret: str, change: Any) -> tuple[int, str]:
        """Follow the feed on the second replica, make the change, time the close."""
        url = replicas[1].url.replace("http://", "ws://") + f"/v1/feed?api_key={secret}"
        async with connect(url) as websocket:
            assert json.loads(await websocket.recv())["type"] == "heartbeat"
            await change()
            changed_at = time.monotonic()
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(_until_closed(websocket), 2.0)
            assert time.monotonic() - changed_at < 2.0
        assert closed.value.rcvd is not None
        return closed.value.rcvd.code, closed.value.rcvd.reason

    key_id, secret = await new_key()

    async def widen() -> None:
        await first.patch(f"/v1/keys/{key_id}", json={"scopes": ["read", "write"]})

    assert (await closed_within_two_seconds(secret, widen))[0] == 4001

    async def revoke() -> None:
        await first.delete(f"/v1/keys/{key_id}")

    assert await closed_within_two_seconds(secret, revoke) == (4401, "this API key was revoked")

    # Server-Sent Events: the stream ends; the client's reconnection is then refused.
    sse_id, sse_secret = await new_key()
    async with (
        httpx.AsyncClient(base_url=replicas[1].url, timeout=10) as client,
        client.stream("GET", "/v1/feed/sse", params={"api_key": sse_secret}) as stream,
    ):
        lines = stream.aiter_lines()
        assert await anext(lines) == "retry: 1000"
        await first.delete(f"/v1/keys/{sse_id}")
        revoked_at = time.monotonic()
        rest = [line async for line in lines]
        assert time.monotonic() - revoked_at < 2.0
        assert not [line for line in rest if line.startswith("data:")]
        again = await client.get("/v1/feed/sse", params={"api_key": sse_secret})
        assert again.status_code == 401

    expires_at = datetime.now(UTC) + timedelta(seconds=3)
    _, short_lived = await new_key(expires_at=expires_at.isoformat())

    async def nothing() -> None:
        await eventually(_after(expires_at), timeout=30)

    assert await closed_within_two_seconds(short_lived, nothing) == (4401, "this API key expired")


def _after(moment: datetime) -> Callable[[], Any]:
    async def passed() -> bool:
        return datetime.now(UTC) >= moment

    return passed


async def _until_closed(websocket: Any) -> None:
    """Read (heartbeats) until the server closes: ConnectionClosed."""
    while True:
        await websocket.recv()
