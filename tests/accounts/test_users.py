from __future__ import annotations

from datetime import UTC

import pytest

from zhizao.accounts.scope import Scope
from zhizao.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.accounts.conftest import PASSWORD, USCC, make_user


@pytest.mark.parametrize("role, kw, where", [
    ("superuser", {}, "role"),
    ("official", {}, "jurisdiction"),
    ("auditor", {}, "jurisdiction"),
    ("official", {"jurisdiction": ["999999"]}, "jurisdiction"),
    ("official", {"jurisdiction": ["330000", "12345"]}, "jurisdiction"),
    ("enterprise", {}, "uscc"),
    ("enterprise", {"uscc": "91350100M000100Y44"}, "uscc"),      # wrong check character
    ("admin", {"jurisdiction": ["330000"]}, "jurisdiction"),      # only officials and auditors have one
    ("official", {"jurisdiction": ["330000"], "uscc": USCC}, "uscc"),
    ("official", {"jurisdiction": ["330000"], "provider_id": "p1"}, "provider_id"),
])
def test_a_user_that_its_role_does_not_allow_is_refused_with_the_field_named(accounts, role, kw, where):
    with pytest.raises(InvalidInput) as e:
        accounts.add_user("someone", PASSWORD, role, **kw)
    assert e.value.where == where
    assert e.value.zh != e.value.en  # a Chinese and an English message
    assert accounts.list_users() == []
    assert accounts.list_audit() == []


@pytest.mark.parametrize("username", ["", "two words", "x" * 65, "tab\there"])
def test_a_bad_username_is_refused(accounts, username):
    with pytest.raises(InvalidInput) as e:
        accounts.add_user(username, PASSWORD, "admin")
    assert e.value.where == "username"


def test_a_short_password_is_refused(accounts):
    with pytest.raises(InvalidInput) as e:
        accounts.add_user("root", "short", "admin")
    assert e.value.where == "password"


def test_a_taken_username_is_a_conflict_whatever_its_case(accounts):
    accounts.add_user("Root", PASSWORD, "admin")
    with pytest.raises(Conflict) as e:
        accounts.add_user("root", PASSWORD, "admin")
    assert "root" in e.value.zh and "root" in e.value.en
    assert [u.username for u in accounts.list_users()] == ["root"]


def test_a_user_is_stored_with_what_its_role_needs(accounts):
    u = accounts.add_user("Zone", PASSWORD, "official", jurisdiction=["330502", " 330503 ", "330502"],
                          display_name="  开发区管委会 ")
    assert u.username == "zone" and u.display_name == "开发区管委会"
    assert u.jurisdiction == ("330502", "330503")
    assert u.created_at.tzinfo == UTC and not u.disabled
    assert accounts.get_user("ZONE") == u
    e = accounts.add_user("corp", PASSWORD, "enterprise", uscc=" 91350100m000100y43 ")
    assert e.uscc == USCC
    p = accounts.add_user("svc", PASSWORD, "provider", provider_id="SP-7")
    assert p.provider_id == "SP-7"
    assert [x.username for x in accounts.list_users()] == ["corp", "svc", "zone"]


def test_an_unknown_user_is_not_found(accounts):
    with pytest.raises(NotFound) as e:
        accounts.get_user("ghost")
    assert "ghost" in e.value.zh and "ghost" in e.value.en


def test_the_scope_of_each_role(accounts):
    admin = make_user(accounts, "a", "admin")
    province = make_user(accounts, "o", "official", jurisdiction=["330000"])
    zone = make_user(accounts, "z", "official", jurisdiction=["330502", "330503"])
    corp = make_user(accounts, "e", "enterprise")
    provider = make_user(accounts, "p", "provider")
    auditor = make_user(accounts, "au", "auditor", jurisdiction=["330500"])
    assert admin.scope == Scope.everything()
    assert province.scope.prefixes == ("33",) and province.scope.allows_region("330502")
    assert zone.scope.allows_region("330503") and not zone.scope.allows_region("330521")
    assert corp.scope == Scope.of_enterprise(USCC) and not corp.scope.allows_region("330502")
    assert provider.scope.is_empty
    assert auditor.scope.prefixes == ("3305",) and auditor.read_only and not province.read_only


def test_only_an_administrator_adds_users(accounts, admin):
    official = make_user(accounts, "o", "official", actor=admin)
    auditor = make_user(accounts, "au", "auditor", actor=admin)
    for actor in (official, auditor):
        with pytest.raises(Forbidden):
            make_user(accounts, "x", "official", actor=actor)
        with pytest.raises(Forbidden):
            accounts.disable_user("o", actor=actor)
        with pytest.raises(Forbidden):
            accounts.reset_password("o", "new password", actor=actor)


def test_a_disabled_administrator_can_no_longer_act(accounts, admin):
    make_user(accounts, "root2", "admin")
    accounts.disable_user("root")
    with pytest.raises(Forbidden):
        make_user(accounts, "x", "provider", actor=admin)


def test_the_last_active_administrator_cannot_be_disabled(accounts, admin):
    with pytest.raises(Conflict):
        accounts.disable_user("root")
    make_user(accounts, "root2", "admin")
    assert accounts.disable_user("root").disabled
    with pytest.raises(Conflict):
        accounts.disable_user("root2")


def test_disable_then_enable(accounts, admin):
    make_user(accounts, "o")
    assert accounts.disable_user("o", actor=admin).disabled
    assert accounts.disable_user("o", actor=admin).disabled  # again: no change
    assert not accounts.enable_user("o", actor=admin).disabled
    actions = [e.action for e in accounts.list_audit()]
    assert actions.count("user_disable") == 1 and actions.count("user_enable") == 1


def test_demo_users_are_created_once(accounts):
    first = accounts.ensure_demo_users("330000", "330502", USCC, "demo-pass-1")
    assert [(u, r) for u, r, _ in first] == [("admin", "admin"), ("official", "official"), ("county", "official"),
                                             ("enterprise", "enterprise"), ("provider", "provider"),
                                             ("auditor", "auditor")]
    assert all(p == "demo-pass-1" for _, _, p in first)
    again = accounts.ensure_demo_users("330000", "330502", USCC, "demo-pass-1")
    assert all(p is None for _, _, p in again)
    assert len(accounts.list_users()) == 6
    assert accounts.get_user("county").jurisdiction == ("330502",)
    assert accounts.get_user("enterprise").uscc == USCC
    assert accounts.get_user("auditor").scope.prefixes == ("33",)
    assert accounts.login("county", "demo-pass-1", ip="127.0.0.1").user.role == "official"
