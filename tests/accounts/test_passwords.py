from __future__ import annotations

import pytest

from zhizao.accounts import passwords
from zhizao.accounts.passwords import PasswordHasher, cheap_hasher
from zhizao.errors import InvalidInput

H = cheap_hasher()


def test_a_password_hashes_to_argon2id_and_verifies():
    stored = passwords.hash_password("correct horse", H)
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "correct horse", H)
    assert not passwords.verify_password(stored, "correct horsE", H)


def test_the_same_password_hashes_differently_each_time():  # a salt per hash
    assert passwords.hash_password("correct horse", H) != passwords.hash_password("correct horse", H)


@pytest.mark.parametrize("pw", ["", "1234567", "x" * 1025])
def test_a_password_too_short_or_too_long_is_refused(pw):
    with pytest.raises(InvalidInput) as e:
        passwords.hash_password(pw, H)
    assert e.value.where == "password" and e.value.zh and e.value.en


def test_eight_characters_are_enough():
    assert passwords.verify_password(passwords.hash_password("12345678", H), "12345678", H)


@pytest.mark.parametrize("stored", ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$broken"])
def test_a_malformed_hash_verifies_nothing_and_raises_nothing(stored):
    assert passwords.verify_password(stored, "correct horse", H) is False


def test_a_hash_made_with_other_parameters_needs_a_rehash():
    stored = passwords.hash_password("correct horse", H)
    assert not passwords.needs_rehash(stored, H)
    assert passwords.needs_rehash(stored, PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    assert passwords.needs_rehash("garbage", H)


def test_production_uses_argon2_cffi_defaults():
    h = passwords.default_hasher()
    assert (h.time_cost, h.memory_cost, h.parallelism) == (PasswordHasher().time_cost, PasswordHasher().memory_cost,
                                                           PasswordHasher().parallelism)


def test_dummy_verification_for_unknown_users_raises_nothing():
    passwords.dummy_verify("whatever", H)
    passwords.dummy_verify(None, H)
