"""Logins for the app's password mode: argon2 hashes only, plain text refused with the fix, and
`interviewer add-user` to make an entry (issue 26)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from interviewer.cli.main import main
from interviewer.config import AuthMode, load_settings
from interviewer.passwords import (
    UsersConfigError,
    hash_password,
    login_users,
    parse_users,
    user_line,
    verify_password,
)
from webapp import auth

# Cheap parameters so the tests don't spend 0.2 s per hash; verify reads them from the hash.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def entry(name: str, password: str) -> str:
    return user_line(name, hash_password(password, FAST))


def test_a_hash_round_trips_through_an_entry() -> None:
    users = parse_users(entry("alice", "correct horse"))
    assert users["alice"].startswith("$argon2id$")
    assert "correct horse" not in users["alice"]
    assert verify_password(users, "alice", "correct horse")


def test_a_wrong_password_or_an_unknown_name_is_refused() -> None:
    users = parse_users(entry("alice", "correct horse"))
    assert not verify_password(users, "alice", "Correct horse")
    assert not verify_password(users, "alice", "")
    assert not verify_password(users, "bob", "correct horse")


def test_a_hash_argon2_cannot_verify_is_a_refusal_not_a_crash() -> None:
    # parse_users would have refused it; verify must still never raise into the login form.
    assert not verify_password({"alice": "$argon2id$v=19$m=8,t=1,p=1$bm90$"}, "alice", "x")
    assert not verify_password({"alice": "not a hash"}, "alice", "not a hash")


def test_entries_split_on_commas_and_newlines_but_not_inside_a_hash() -> None:
    alice, bob, carol = entry("alice", "a"), entry("bob", "b"), entry("carol", "c")
    assert "," in alice.partition(":")[2]  # `$m=8,t=1,p=1$`: the separator is inside every hash
    users = parse_users(f" {alice} , {bob}\n{carol}\n")
    assert sorted(users) == ["alice", "bob", "carol"]
    assert verify_password(users, "bob", "b") and verify_password(users, "carol", "c")
    assert not verify_password(users, "bob", "a")


def test_a_plain_text_entry_is_refused_with_the_command_that_fixes_it() -> None:
    spec = f"{entry('alice', 'a')},bob:hunter2"
    with pytest.raises(UsersConfigError) as err:
        parse_users(spec)
    message = str(err.value)
    assert "entry 2 (bob)" in message and "plain-text" in message
    assert "interviewer add-user bob" in message
    assert "hunter2" not in message  # the error must not repeat the password


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("alice", "entry 1 is not name:<argon2 hash>"),
        (":$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "entry 1 is not name:<argon2 hash>"),
        ("alice:", "entry 1 (alice) is not an argon2 hash"),
        ("alice:$argon2id$v=19$m=8", "entry 1 (alice) has a malformed argon2 hash"),
        ("alice:$argon2id$garbage", "entry 1 (alice) has a malformed argon2 hash"),
    ],
)
def test_a_malformed_entry_names_itself(spec: str, expected: str) -> None:
    with pytest.raises(UsersConfigError, match=re.escape("INTERVIEWER_USERS " + expected)):
        parse_users(spec)


def test_a_name_listed_twice_is_an_error() -> None:
    with pytest.raises(UsersConfigError, match="'alice' is listed twice"):
        parse_users(f"{entry('alice', 'a')},{entry('alice', 'b')}")


def test_a_shell_expanded_hash_is_explained() -> None:
    # What `INTERVIEWER_USERS="alice:$argon2id$v=19$m=..."` becomes in a shell without single quotes.
    with pytest.raises(UsersConfigError, match="single quotes"):
        parse_users("alice:=19=65536,t=3,p=4")


def test_password_mode_needs_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERVIEWER_USERS", raising=False)
    with pytest.raises(UsersConfigError, match="INTERVIEWER_AUTH=password needs INTERVIEWER_USERS"):
        login_users(load_settings(auth="password"))


def test_the_app_reads_its_logins_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEWER_AUTH", "Password")
    monkeypatch.setenv("INTERVIEWER_USERS", entry("alice", "s3cret"))
    settings = load_settings()
    assert auth.auth_mode(settings) == "password" and auth.auth_mode() == "password"
    users = auth.configured_users()
    assert auth.check_password(users, "alice", "s3cret")
    assert not auth.check_password(users, "alice", "wrong")
    monkeypatch.setenv("INTERVIEWER_USERS", "alice:s3cret")
    with pytest.raises(auth.AuthConfigError, match="interviewer add-user alice"):
        auth.configured_users()


def test_settings_read_the_three_login_and_persona_variables_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("INTERVIEWER_AUTH", "password")
    monkeypatch.setenv("INTERVIEWER_USERS", "alice:$argon2id$x")
    monkeypatch.setenv("INTERVIEWER_PERSONAS_DIR", str(tmp_path / "mine"))
    settings = load_settings()
    assert settings.auth is AuthMode.PASSWORD
    assert settings.users is not None and settings.users.get_secret_value() == "alice:$argon2id$x"
    assert "argon2" not in repr(settings)  # a plain-text entry would not reach a log either
    assert settings.personas_dir == tmp_path / "mine"


def test_settings_read_them_from_dot_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("INTERVIEWER_AUTH", "INTERVIEWER_USERS", "INTERVIEWER_PERSONAS_DIR"):
        monkeypatch.delenv(name, raising=False)
    alice, bob = entry("alice", "a"), entry("bob", "b")
    # Single quotes as the README says; `$` signs stay as they are in .env files either way.
    (tmp_path / ".env").write_text(
        f"INTERVIEWER_AUTH=password\nINTERVIEWER_USERS='{alice},{bob}'\nINTERVIEWER_PERSONAS_DIR=~/my-personas\n"
    )
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.auth is AuthMode.PASSWORD
    assert settings.personas_dir == Path("~/my-personas").expanduser()
    users = login_users(settings)
    assert verify_password(users, "alice", "a") and verify_password(users, "bob", "b")


def test_a_bad_auth_mode_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEWER_AUTH", "oauth")
    result = CliRunner().invoke(main, ["doctor"])
    assert result.exit_code != 0
    assert "INTERVIEWER_AUTH must be 'local' or 'password', not 'oauth'" in result.output


def test_an_empty_personas_dir_means_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("INTERVIEWER_PERSONAS_DIR", " ")
    assert load_settings().personas_dir == tmp_path / "interviewer" / "personas"


def test_add_user_asks_twice_and_prints_only_the_entry() -> None:
    result = CliRunner().invoke(main, ["add-user", "alice"], input="pw-one\npw-two\npw-one\npw-one\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert "pw-one" not in result.stdout and "pw-one" not in result.stderr
    line = result.stdout.strip()
    assert line.startswith("alice:$argon2id$") and "\n" not in line
    assert "INTERVIEWER_USERS" in result.stderr
    assert verify_password(parse_users(line), "alice", "pw-one")


def test_add_user_reads_a_password_from_stdin_for_scripts() -> None:
    result = CliRunner().invoke(main, ["add-user", "bob", "--password-stdin"], input="s3cret pass\n")
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert verify_password(parse_users(result.stdout), "bob", "s3cret pass")


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["add-user", "bob", "--password-stdin"], "", "the password is empty"),
        (["add-user", "bob", "--password-stdin"], "one\ntwo\n", "takes one line"),
        (["add-user", "bo:b", "--password-stdin"], "pw\n", "without ':'"),
    ],
)
def test_add_user_refuses_what_it_cannot_store(args: list[str], stdin: str, expected: str) -> None:
    result = CliRunner().invoke(main, args, input=stdin)
    assert result.exit_code == 2
    assert expected in result.output and not result.stdout.strip()


def test_the_app_command_refuses_plain_text_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEWER_AUTH", "password")
    monkeypatch.setenv("INTERVIEWER_USERS", "alice:hunter2")
    monkeypatch.setattr("os.execv", lambda *a: pytest.fail("the app must not start"))
    result = CliRunner().invoke(main, ["app", "--headless"])
    assert result.exit_code == 1
    assert "interviewer add-user alice" in result.output and "hunter2" not in result.output
