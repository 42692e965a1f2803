from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from zhizao.accounts import passwords
from zhizao.accounts.service import Accounts
from zhizao.cli import app
from zhizao.settings import Settings
from tests.accounts.conftest import USCC

runner = CliRunner()


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    monkeypatch.setattr(passwords, "default_hasher", passwords.cheap_hasher)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "warehouse.duckdb"


def run(db, *args, input=None):
    return runner.invoke(app, ["users", *[str(a) for a in args], "--db", str(db)], input=input)


def accounts(db) -> Accounts:
    return Accounts.open(Settings(db_path=db))


def test_every_users_command_and_option_has_help_text():
    group = typer.main.get_command(app).commands["users"]
    assert set(group.commands) == {"add", "list", "disable", "enable", "reset-password", "audit", "token"}
    assert set(group.commands["token"].commands) == {"create", "list", "revoke"}
    for cmd in [*group.commands.values(), *group.commands["token"].commands.values()]:
        assert cmd.help
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "option" and p.name != "help":
                assert p.help, (cmd.name, p.name)


def test_add_an_official_with_a_prompted_password_beside_the_warehouse(db):
    result = run(db, "add", "zone", "--role", "official", "--jurisdiction", "330502", "--jurisdiction", "330503",
                 "--display-name", "开发区", input="a good password\na good password\n")
    assert result.exit_code == 0, result.output
    assert "zone" in result.output and "330502" in result.output
    assert (db.parent / "zhizao-oltp.sqlite").exists()
    with accounts(db) as acc:
        assert acc.login("zone", "a good password").user.jurisdiction == ("330502", "330503")
        [event] = acc.list_audit(action="user_add")
        assert event.username is None and event.user_agent.startswith("zhizao-cli")


def test_add_refuses_what_the_role_does_not_allow_with_exit_1(db):
    result = run(db, "add", "corp", "--role", "enterprise", "--uscc", "91350100M000100Y44", "--password", "12345678")
    assert result.exit_code == 1
    assert "USCC" in result.output and "统一社会信用代码" in result.output
    result = run(db, "add", "o", "--role", "official", "--password", "12345678")
    assert result.exit_code == 1 and "jurisdiction" in result.output


def test_a_mismatched_confirmation_is_asked_again(db):
    result = run(db, "add", "root", "--role", "admin", input="first password\nother password\n"
                 "first password\nfirst password\n")
    assert result.exit_code == 0, result.output
    with accounts(db) as acc:
        assert acc.login("root", "first password")


def test_list_shows_users_and_their_scope_but_no_hashes(db):
    run(db, "add", "corp", "--role", "enterprise", "--uscc", USCC, "--password", "12345678")
    run(db, "add", "au", "--role", "auditor", "--jurisdiction", "330000", "--password", "12345678")
    result = run(db, "list")
    assert result.exit_code == 0, result.output
    assert "corp" in result.output and USCC in result.output and "浙江省" in result.output
    assert "argon2" not in result.output


def test_disable_enable_and_reset_password(db):
    run(db, "add", "root", "--role", "admin", "--password", "12345678")
    run(db, "add", "o", "--role", "official", "--jurisdiction", "330000", "--password", "12345678")
    assert run(db, "disable", "o").exit_code == 0
    with accounts(db) as acc:
        assert acc.get_user("o").disabled
    assert run(db, "enable", "o").exit_code == 0
    result = run(db, "reset-password", "o", input="another password\nanother password\n")
    assert result.exit_code == 0, result.output
    with accounts(db) as acc:
        assert acc.login("o", "another password").user.username == "o"
    result = run(db, "disable", "root")
    assert result.exit_code == 1 and "last active administrator" in result.output
    assert run(db, "disable", "ghost").exit_code == 1


def test_token_create_list_and_revoke(db):
    run(db, "add", "o", "--role", "official", "--jurisdiction", "330000", "--password", "12345678")
    created = run(db, "token", "create", "o", "--name", "nightly", "--days", "7")
    assert created.exit_code == 0, created.output
    plaintext = next(w for w in created.output.split() if w.startswith("zz_"))
    with accounts(db) as acc:
        assert acc.token_user(plaintext).username == "o"
        [info] = acc.list_tokens("o")
    listed = run(db, "token", "list", "o")
    assert listed.exit_code == 0 and info.prefix in listed.output and plaintext not in listed.output
    assert run(db, "token", "revoke", str(info.id)).exit_code == 0
    with accounts(db) as acc:
        assert acc.token_user(plaintext) is None
    assert run(db, "token", "revoke", "999").exit_code == 1


def test_audit_lists_what_was_done(db):
    run(db, "add", "o", "--role", "official", "--jurisdiction", "330000", "--password", "12345678")
    result = run(db, "audit", "--action", "user_add")
    assert result.exit_code == 0 and "user:o" in result.output
    assert "no audit events" in run(db, "audit", "--action", "export").output


def test_another_oltp_url_is_used_when_given(db, tmp_path):
    other = tmp_path / "elsewhere" / "accounts.sqlite"
    result = run(db, "add", "root", "--role", "admin", "--password", "12345678", "--oltp-url", f"sqlite:///{other}")
    assert result.exit_code == 0, result.output
    assert other.exists() and not (db.parent / "zhizao-oltp.sqlite").exists()
