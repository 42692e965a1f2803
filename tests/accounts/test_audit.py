from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from zhizao.errors import Forbidden, InvalidInput, Unauthorized
from tests.accounts.conftest import PASSWORD, make_user


def test_every_change_writes_an_audit_event(accounts, admin, clock):
    make_user(accounts, "o", actor=admin, ip="10.0.0.1")
    r = accounts.login("o", PASSWORD, ip="10.0.0.2", user_agent="Firefox")
    with pytest.raises(Unauthorized):
        accounts.login("o", "wrong password", ip="10.0.0.3")
    accounts.change_password(r.session_token, PASSWORD, "second password", ip="10.0.0.2")
    r = accounts.login("o", "second password", ip="10.0.0.2")
    accounts.logout(r.session_token, ip="10.0.0.2")
    plaintext, token = accounts.create_token("o", "ci", actor=admin)
    accounts.revoke_token(token.id, actor=admin)
    accounts.reset_password("o", "third password", actor=admin)
    accounts.disable_user("o", actor=admin)
    accounts.enable_user("o", actor=admin)
    accounts.audit("export", actor=admin, object="table:enterprises", detail={"rows": 12}, ip="10.0.0.1")
    events = list(reversed(accounts.list_audit()))
    assert [e.action for e in events] == [
        "user_add", "user_add", "login", "login_failed", "password_change", "login", "logout", "token_create",
        "token_revoke", "password_reset", "user_disable", "user_enable", "export"]
    add_o = events[1]
    assert (add_o.username, add_o.user_id, add_o.object, add_o.ip) == ("root", admin.id, "user:o", "10.0.0.1")
    assert add_o.detail == {"role": "official", "jurisdiction": ["330000"]}
    login = events[2]
    assert (login.username, login.ip, login.user_agent) == ("o", "10.0.0.2", "Firefox")
    assert all(e.at == clock() and e.at.tzinfo == UTC for e in events)
    assert plaintext not in repr(events)


def test_a_refused_change_writes_nothing(accounts, admin):
    official = make_user(accounts, "o")
    before = len(accounts.list_audit())
    with pytest.raises(Forbidden):
        make_user(accounts, "x", actor=official)
    with pytest.raises(InvalidInput):
        accounts.add_user("y", PASSWORD, "official")
    assert len(accounts.list_audit()) == before
    assert {u.username for u in accounts.list_users()} == {"root", "o"}


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"])
def test_the_audit_log_refuses_update_and_delete_in_the_database(accounts, admin, statement):
    with pytest.raises(DBAPIError) as e:
        with accounts.engine.begin() as con:
            con.execute(sa.text(statement))
    assert "append-only" in str(e.value)
    assert [x.action for x in accounts.list_audit()] == ["user_add"]


@pytest.mark.parametrize("migrated", [pytest.param("pg", marks=pytest.mark.pg)], indirect=True)
def test_postgresql_refuses_truncate_of_the_audit_log(accounts, admin):
    with pytest.raises(DBAPIError):
        with accounts.engine.begin() as con:
            con.execute(sa.text("TRUNCATE audit_log"))


def test_the_audit_log_is_filtered_and_paged_newest_first(accounts, admin, clock):
    for i in range(5):
        clock.advance(60)
        accounts.audit("export", actor=admin, object=f"file:{i}")
    clock.advance(60)
    accounts.audit("import", actor=None, object="file:x")
    assert [e.object for e in accounts.list_audit(action="export", limit=2)] == ["file:4", "file:3"]
    assert [e.object for e in accounts.list_audit(action="export", limit=2, offset=2)] == ["file:2", "file:1"]
    assert [e.action for e in accounts.list_audit(username="ROOT")] == ["export"] * 5  # the console added root
    since = datetime(2025, 3, 1, 8, 4, tzinfo=UTC)
    assert [e.object for e in accounts.list_audit(since=since)] == ["file:x", "file:4", "file:3"]
    assert [e.object for e in accounts.list_audit(since=since, until=datetime(2025, 3, 1, 8, 6, tzinfo=UTC))] == [
        "file:4", "file:3"]
    with pytest.raises(InvalidInput):
        accounts.list_audit(limit=0)


def test_audit_detail_is_stored_as_plain_json(accounts):
    entry = accounts.audit("export", actor=None, detail={"when": datetime(2025, 1, 1, tzinfo=UTC), "n": 3})
    assert entry.detail == {"when": "2025-01-01 00:00:00+00:00", "n": 3}
    assert accounts.audit("import", actor=None, detail=["a", "b"]).detail == {"value": ["a", "b"]}
    with pytest.raises(InvalidInput):
        accounts.audit(" ", actor=None)


def test_only_administrators_and_auditors_read_the_audit_log(accounts, admin):
    official = make_user(accounts, "o")
    auditor = make_user(accounts, "au", "auditor")
    assert accounts.list_audit(actor=admin) and accounts.list_audit(actor=auditor)
    with pytest.raises(Forbidden):
        accounts.list_audit(actor=official)
