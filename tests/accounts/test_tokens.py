from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from zhizao.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.accounts.conftest import make_user


def test_a_token_is_shown_once_and_stored_hashed(accounts, clock):
    make_user(accounts, "o")
    plaintext, info = accounts.create_token("o", "nightly export")
    assert plaintext.startswith("zz_") and len(plaintext) > 40
    assert info.prefix == plaintext[:11] and info.name == "nightly export" and info.username == "o"
    assert info.expires_at == clock() + timedelta(days=90)
    with accounts.engine.connect() as con:
        stored = con.execute(sa.text("SELECT token_hash, prefix FROM api_tokens")).one()
    assert stored == (hashlib.sha256(plaintext.encode()).hexdigest(), info.prefix)
    listed = accounts.list_tokens("o")
    assert listed == [info]
    assert plaintext not in repr(listed)


def test_a_token_identifies_its_user_and_records_its_use(accounts, clock):
    user = make_user(accounts, "o")
    plaintext, _ = accounts.create_token("o", "ci", days=7)
    clock.advance(5)
    assert accounts.token_user(plaintext) == user
    [t] = accounts.list_tokens("o")
    assert t.last_used_at == clock()
    clock.advance(30)
    accounts.token_user(plaintext)
    assert accounts.list_tokens("o")[0].last_used_at == t.last_used_at  # at most once a minute
    clock.advance(60)
    accounts.token_user(plaintext)
    assert accounts.list_tokens("o")[0].last_used_at == clock()


@pytest.mark.parametrize("bad", ["", "zz_", "zz_nope", "not-a-token", None])
def test_an_unknown_token_is_no_user(accounts, bad):
    assert accounts.token_user(bad) is None


def test_a_token_expires(accounts, clock):
    make_user(accounts, "o")
    plaintext, info = accounts.create_token("o", "short", days=1)
    clock.advance(86400 - 1)
    assert accounts.token_user(plaintext) is not None
    clock.advance(1)
    assert accounts.token_user(plaintext) is None
    assert not accounts.list_tokens("o")[0].active(clock())


def test_a_revoked_token_stops_working(accounts, clock):
    owner = make_user(accounts, "o")
    plaintext, info = accounts.create_token("o", "ci", actor=owner)
    revoked = accounts.revoke_token(info.id, actor=owner, ip="10.0.0.1")
    assert revoked.revoked_at == clock()
    assert accounts.token_user(plaintext) is None
    assert accounts.revoke_token(info.id, actor=owner).revoked_at == revoked.revoked_at  # again: no change
    assert len(accounts.list_audit(action="token_revoke")) == 1


def test_only_the_owner_or_an_administrator_revokes_a_token(accounts, admin):
    owner = make_user(accounts, "o")
    other = make_user(accounts, "p", "official")
    auditor = make_user(accounts, "au", "auditor")
    plaintext, info = accounts.create_token("o", "ci", actor=owner)
    for actor in (other, auditor):
        with pytest.raises(Forbidden) as e:
            accounts.revoke_token(info.id, actor=actor)
        assert e.value.http_status == 403
    assert accounts.token_user(plaintext) is not None
    accounts.revoke_token(info.id, actor=admin)
    assert accounts.token_user(plaintext) is None


def test_only_the_owner_or_an_administrator_creates_a_token(accounts, admin):
    make_user(accounts, "o")
    other = make_user(accounts, "p")
    with pytest.raises(Forbidden):
        accounts.create_token("o", "ci", actor=other)
    _, info = accounts.create_token("o", "ci", actor=admin)
    assert info.username == "o"


def test_an_auditor_may_create_its_own_token(accounts):
    auditor = make_user(accounts, "au", "auditor")
    _, info = accounts.create_token("au", "reader", actor=auditor)
    assert info.username == "au"


def test_an_unknown_token_id_is_not_found(accounts):
    with pytest.raises(NotFound):
        accounts.revoke_token(12345)


@pytest.mark.parametrize("name, days", [("", None), ("x" * 101, None), ("ci", 0), ("ci", 10_000)])
def test_a_token_needs_a_name_and_a_sensible_lifetime(accounts, name, days):
    make_user(accounts, "o")
    with pytest.raises(InvalidInput):
        accounts.create_token("o", name, days=days)


def test_disabling_a_user_revokes_its_tokens(accounts, admin):
    make_user(accounts, "o")
    a, _ = accounts.create_token("o", "one")
    b, _ = accounts.create_token("o", "two")
    accounts.disable_user("o", actor=admin)
    assert accounts.token_user(a) is None and accounts.token_user(b) is None
    assert all(t.revoked_at is not None for t in accounts.list_tokens("o"))
    accounts.enable_user("o", actor=admin)
    assert accounts.token_user(a) is None  # still revoked
    accounts.disable_user("o", actor=admin)
    with pytest.raises(Conflict):
        accounts.create_token("o", "three")
    first = accounts.list_audit(action="user_disable")[-1]
    assert first.detail == {"sessions_ended": 0, "tokens_revoked": 2}


def test_tokens_are_listed_newest_first(accounts, clock):
    make_user(accounts, "o")
    accounts.create_token("o", "first")
    clock.advance(1)
    accounts.create_token("o", "second")
    assert [t.name for t in accounts.list_tokens("o")] == ["second", "first"]
    with pytest.raises(NotFound):
        accounts.list_tokens("ghost")
