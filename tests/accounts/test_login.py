from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from zhizao.accounts.passwords import PasswordHasher
from zhizao.accounts.service import Accounts
from zhizao.errors import InvalidInput, Throttled, Unauthorized
from tests.accounts.conftest import PASSWORD, make_user


def test_login_returns_a_session_token_and_its_csrf_token(accounts, clock):
    make_user(accounts, "o")
    r = accounts.login("O", PASSWORD, ip="10.0.0.1", user_agent="pytest")
    assert r.user.username == "o" and r.session_token and r.csrf_token and r.session_token != r.csrf_token
    assert r.expires_at == clock() + timedelta(seconds=8 * 3600)
    user, csrf = accounts.session_user(r.session_token)
    assert user == r.user and csrf == r.csrf_token


def test_only_the_sha256_of_the_session_token_is_stored(accounts):
    import hashlib

    make_user(accounts, "o")
    r = accounts.login("o", PASSWORD, ip="10.0.0.1")
    with accounts.engine.connect() as con:
        ids = con.execute(sa.text("SELECT id FROM sessions")).scalars().all()
    assert ids == [hashlib.sha256(r.session_token.encode()).hexdigest()]


def test_each_login_has_its_own_session_and_csrf_token(accounts):
    make_user(accounts, "o")
    a, b = accounts.login("o", PASSWORD), accounts.login("o", PASSWORD)
    assert a.session_token != b.session_token and a.csrf_token != b.csrf_token


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(accounts):
    make_user(accounts, "o")
    with pytest.raises(Unauthorized) as wrong:
        accounts.login("o", "not the password", ip="10.0.0.1")
    with pytest.raises(Unauthorized) as unknown:
        accounts.login("nobody", PASSWORD, ip="10.0.0.2")
    assert (wrong.value.zh, wrong.value.en) == (unknown.value.zh, unknown.value.en)
    failed = accounts.list_audit(action="login_failed")
    assert [e.object for e in failed] == ["user:nobody", "user:o"]
    assert {e.detail["reason"] for e in failed} == {"bad_password", "unknown_user"}
    assert all(e.username is None for e in failed)  # anonymous


def test_a_disabled_user_cannot_log_in(accounts):
    make_user(accounts, "o")
    make_user(accounts, "root", "admin")
    accounts.disable_user("o")
    with pytest.raises(Unauthorized) as e:
        accounts.login("o", PASSWORD)
    assert "disabled" in e.value.en


def test_a_garbage_username_is_just_a_failed_login(accounts):
    with pytest.raises(Unauthorized):
        accounts.login("two words", PASSWORD)


def test_failures_for_one_username_throttle_it_even_with_the_right_password(accounts, clock):
    make_user(accounts, "o")
    for i in range(3):
        with pytest.raises(Unauthorized):
            accounts.login("o", "wrong password", ip=f"10.0.0.{i}")
        clock.advance(10)
    with pytest.raises(Throttled) as e:
        accounts.login("o", PASSWORD, ip="10.9.9.9")
    assert e.value.http_status == 429
    assert e.value.retry_after == 600 - 30  # until the oldest of the three failures leaves the window
    assert "o" in e.value.en
    clock.advance(e.value.retry_after - 1)
    with pytest.raises(Throttled):
        accounts.login("o", PASSWORD, ip="10.9.9.9")
    clock.advance(1)
    assert accounts.login("o", PASSWORD, ip="10.9.9.9").user.username == "o"


def test_failures_from_one_address_throttle_every_username_from_it(accounts, clock):
    make_user(accounts, "o")
    for name in ("a", "b", "c"):
        with pytest.raises(Unauthorized):
            accounts.login(name, "wrong password", ip="203.0.113.7")
    with pytest.raises(Throttled):
        accounts.login("o", PASSWORD, ip="203.0.113.7")
    assert accounts.login("o", PASSWORD, ip="203.0.113.8").user.username == "o"  # another address
    clock.advance(601)
    assert accounts.login("o", PASSWORD, ip="203.0.113.7").user.username == "o"


def test_a_success_clears_no_failure(accounts):
    make_user(accounts, "o")
    for _ in range(2):
        with pytest.raises(Unauthorized):
            accounts.login("o", "wrong password")
    accounts.login("o", PASSWORD)
    with pytest.raises(Unauthorized):
        accounts.login("o", "wrong password")
    with pytest.raises(Throttled):
        accounts.login("o", PASSWORD)


def test_throttled_attempts_are_audited_but_do_not_extend_the_window(accounts, clock):
    make_user(accounts, "o")
    for _ in range(3):
        with pytest.raises(Unauthorized):
            accounts.login("o", "wrong password")
    for _ in range(5):
        clock.advance(100)
        with pytest.raises(Throttled):
            accounts.login("o", "wrong password")
    assert len(accounts.list_audit(action="login_throttled")) == 5
    clock.advance(101)
    accounts.login("o", PASSWORD)


def test_every_attempt_is_recorded(accounts):
    make_user(accounts, "o")
    accounts.login("o", PASSWORD, ip="10.0.0.1")
    with pytest.raises(Unauthorized):
        accounts.login("o", "wrong password", ip="10.0.0.1")
    with accounts.engine.connect() as con:
        rows = con.execute(sa.text("SELECT username, ip, success FROM login_attempts ORDER BY id")).all()
    assert [(u, ip, bool(s)) for u, ip, s in rows] == [("o", "10.0.0.1", True), ("o", "10.0.0.1", False)]


def test_a_session_ends_at_its_absolute_expiry_even_when_used(accounts, clock):
    make_user(accounts, "o")
    r = accounts.login("o", PASSWORD)
    for _ in range(8):  # used every hour minus a bit: never idle
        clock.advance(3599)
        assert accounts.session_user(r.session_token) is not None
    clock.advance(8)  # 8 h after login
    assert accounts.session_user(r.session_token) is None


def test_a_session_ends_after_its_idle_time(accounts, clock):
    make_user(accounts, "o")
    r = accounts.login("o", PASSWORD)
    clock.advance(3599)
    assert accounts.session_user(r.session_token) is not None  # use moves the idle deadline
    clock.advance(3599)
    assert accounts.session_user(r.session_token) is not None
    clock.advance(3600)
    assert accounts.session_user(r.session_token) is None


def test_last_seen_is_written_at_most_once_a_minute(accounts, clock):
    make_user(accounts, "o")
    r = accounts.login("o", PASSWORD)
    login_time = clock()

    def last_seen():
        with accounts.engine.connect() as con:
            return con.execute(sa.text("SELECT last_seen_at FROM sessions")).scalar()

    before = last_seen()
    clock.advance(30)
    accounts.session_user(r.session_token)
    assert last_seen() == before
    clock.advance(31)
    accounts.session_user(r.session_token)
    assert last_seen() != before
    assert clock() > login_time


def test_an_unknown_or_empty_session_token_is_no_session(accounts):
    assert accounts.session_user("nonsense") is None
    assert accounts.session_user("") is None


def test_logout_ends_the_session(accounts):
    make_user(accounts, "o")
    r = accounts.login("o", PASSWORD)
    other = accounts.login("o", PASSWORD)
    assert accounts.logout(r.session_token, ip="10.0.0.1") is True
    assert accounts.session_user(r.session_token) is None
    assert accounts.session_user(other.session_token) is not None  # only this one
    assert accounts.logout(r.session_token) is False
    [event] = accounts.list_audit(action="logout")
    assert event.username == "o" and event.ip == "10.0.0.1"


def test_a_password_change_ends_all_sessions(accounts):
    make_user(accounts, "o")
    a, b = accounts.login("o", PASSWORD), accounts.login("o", PASSWORD)
    accounts.change_password(a.session_token, PASSWORD, "a new password", ip="10.0.0.1")
    assert accounts.session_user(a.session_token) is None and accounts.session_user(b.session_token) is None
    with pytest.raises(Unauthorized):
        accounts.login("o", PASSWORD)
    assert accounts.login("o", "a new password").user.username == "o"
    assert accounts.list_audit(action="password_change")[0].username == "o"


def test_a_password_change_needs_the_old_password_and_counts_as_a_failure(accounts):
    user = make_user(accounts, "o")
    r = accounts.login("o", PASSWORD)
    with pytest.raises(Unauthorized) as e:
        accounts.change_password(r.session_token, "wrong password", "a new password")
    assert e.value.where == "old_password"
    assert accounts.session_user(r.session_token) is not None
    [failed] = accounts.list_audit(action="login_failed")
    assert failed.detail["via"] == "password_change"
    with pytest.raises(InvalidInput):
        accounts.change_password(user, PASSWORD, "short")
    with pytest.raises(InvalidInput):
        accounts.change_password(user, PASSWORD, PASSWORD)
    with pytest.raises(Unauthorized):
        accounts.change_password("not a session", PASSWORD, "a new password")


def test_a_password_reset_ends_all_sessions(accounts, admin):
    make_user(accounts, "o")
    r = accounts.login("o", PASSWORD)
    accounts.reset_password("o", "set by admin", actor=admin, ip="10.0.0.9")
    assert accounts.session_user(r.session_token) is None
    assert accounts.login("o", "set by admin").user.username == "o"
    [event] = accounts.list_audit(action="password_reset")
    assert event.username == "root" and event.object == "user:o" and event.detail == {"sessions_ended": 1}


def test_disabling_a_user_ends_its_sessions(accounts, admin):
    make_user(accounts, "o")
    r = accounts.login("o", PASSWORD)
    accounts.disable_user("o", actor=admin)
    assert accounts.session_user(r.session_token) is None
    accounts.enable_user("o", actor=admin)
    assert accounts.session_user(r.session_token) is None  # ended, not merely hidden


def test_a_hash_with_old_parameters_is_renewed_at_login(settings, migrated, clock):
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    with Accounts.open(settings, engine=migrated, clock=clock, hasher=weak) as acc:
        make_user(acc, "o")
    with Accounts.open(settings, engine=migrated, clock=clock, hasher=stronger) as acc:
        acc.login("o", PASSWORD)
        with migrated.connect() as con:
            stored = con.execute(sa.text("SELECT password_hash FROM users")).scalar()
        assert "m=16,t=2,p=1" in stored
        assert acc.login("o", PASSWORD).user.username == "o"
