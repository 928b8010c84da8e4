"""What creating, changing and revoking an API key decide, and which names a key may have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from contracts import ApiKeyGrantsChanged, ApiKeyRevoked, KeyName
from contracts.errors import InvalidRequest, ResourceConflict
from gateway.domain import keys
from gateway.domain.keys import UNCHANGED, GrantChanges, Grants, KeyRecord

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NAMES = TypeAdapter(KeyName)


def record(grants: Grants, *, revoked: bool = False) -> KeyRecord:
    return KeyRecord(
        key_id="0123456789ab",
        name="alice",
        grants=grants,
        created_at=NOW,
        created_by="bootstrap",
        revoked_at=NOW if revoked else None,
        last_used_at=None,
        version=1,
    )


def test_grants_are_normalised_so_equal_grants_compare_equal() -> None:
    a, b = uuid4(), uuid4()
    assert Grants.of(["admin", "read", "read"], [b, a, b], None) == Grants.of(
        ["read", "admin"], [a, b], None
    )
    assert Grants.of(["admin", "read"], None, None).scopes == ("read", "admin")
    with pytest.raises(InvalidRequest, match="at least one scope"):
        Grants.of([], None, None)
    with pytest.raises(InvalidRequest) as refused:
        Grants.of(["read", "root"], None, None)  # type: ignore[list-item]
    assert refused.value.problems == ["unknown scope 'root'"]


def test_a_new_key_carries_the_hash_of_its_secret_never_the_secret() -> None:
    secret = keys.new_secret()
    created = keys.create("alice", Grants.of(["read"], None, None), secret, NOW)
    assert secret.secret.startswith(f"rk_{secret.key_id}_")
    assert len(secret.secret) > 40
    assert created.key_hash == keys.hash_secret(secret.secret)
    assert secret.secret not in created.model_dump_json()
    with pytest.raises(InvalidRequest, match="future"):
        keys.create("alice", Grants.of(["read"], None, NOW), secret, NOW)
    with pytest.raises(InvalidRequest, match="control"):
        keys.create("al\x1bice", Grants.of(["read"], None, None), secret, NOW)


def test_changing_grants_records_the_whole_new_grants_or_nothing() -> None:
    corpus = uuid4()
    key = record(Grants.of(["write"], None, None))
    narrowed = GrantChanges(corpora=[corpus]).applied_to(key.grants)
    event = keys.change_grants(key, narrowed, NOW)
    assert event == ApiKeyGrantsChanged(
        key_id=key.key_id, scopes=["write"], corpora=[corpus], expires_at=None
    )
    assert keys.change_grants(key, GrantChanges().applied_to(key.grants), NOW) is None
    # `corpora=None` given means every corpus again; left out, it stays as it was.
    limited = record(narrowed)
    assert GrantChanges(corpora=None).applied_to(limited.grants).corpora is None
    assert GrantChanges(corpora=UNCHANGED).applied_to(limited.grants).corpora == (corpus,)
    with pytest.raises(InvalidRequest, match="future"):
        keys.change_grants(key, GrantChanges(expires_at=NOW).applied_to(key.grants), NOW)
    with pytest.raises(ResourceConflict, match="revoked"):
        keys.change_grants(record(key.grants, revoked=True), narrowed, NOW)


def test_revoking_twice_records_once_and_status_follows_time() -> None:
    key = record(Grants.of(["read"], None, NOW + timedelta(hours=1)))
    assert keys.revoke(key, "left") == ApiKeyRevoked(key_id=key.key_id, reason="left")
    assert keys.revoke(record(key.grants, revoked=True), None) is None
    assert key.status(NOW) == "active"
    assert key.status(NOW + timedelta(hours=1)) == "expired"
    assert record(key.grants, revoked=True).status(NOW) == "revoked"


@given(st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), min_size=1))
def test_no_name_holds_control_or_invisible_characters(hidden: str) -> None:
    with pytest.raises(ValidationError):
        NAMES.validate_python(f"alice{hidden}bob")


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "S"]), min_size=1, max_size=100))
def test_printable_names_up_to_the_limit_are_kept_as_given(name: str) -> None:
    assert NAMES.validate_python(name) == name


def test_names_are_refused_when_too_long_empty_or_padded() -> None:
    for bad in ("a" * 101, "", " alice", "alice\t"):
        with pytest.raises(ValidationError):
            NAMES.validate_python(bad)
    assert NAMES.validate_python("ci/cd bot — Łódź") == "ci/cd bot — Łódź"
