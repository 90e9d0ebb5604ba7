"""Shard marks in tokens (issue 15): ``s<shard>.`` after the prefix, read back by ``token_shard``; a token
without one (every token before marks, and every token one database issues) reads as no shard."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lucidscore.service import shard_mark, token_shard
from lucidscore.service._secrets import CONSENT_TOKEN_PREFIX, MAX_MARKED_SHARD, digest, new_token

PREFIXES = st.sampled_from(["", CONSENT_TOKEN_PREFIX])


@given(prefix=PREFIXES, shard=st.integers(0, MAX_MARKED_SHARD))
def test_a_marked_token_names_its_shard(prefix: str, shard: int) -> None:
    token = new_token(prefix, shard=shard)
    assert token.startswith(f"{prefix}s{shard}.")
    assert token_shard(token) == shard
    assert len(token) == len(prefix) + len(shard_mark(shard)) + 43  # 256 random bits, as before


@given(prefix=PREFIXES, shard=st.integers(0, MAX_MARKED_SHARD), other=st.integers(0, MAX_MARKED_SHARD))
def test_the_mark_is_part_of_the_digest(prefix: str, shard: int, other: int) -> None:
    """Changing a mark changes the text, hence the digest the token is found by."""
    token = new_token(prefix, shard=shard)
    moved = prefix + shard_mark(other) + token.split(".", 1)[1]
    assert (digest(moved) == digest(token)) == (other == shard)


@given(prefix=PREFIXES)
def test_tokens_without_a_mark_name_no_shard(prefix: str) -> None:
    assert token_shard(new_token(prefix)) is None
    assert token_shard(prefix + secrets.token_urlsafe(32)) is None  # a token made before marks
    assert token_shard(secrets.token_hex(24)) is None  # an authorization code Authlib made


@pytest.mark.parametrize(
    "token",
    ["s01.abc", "s-1.abc", "S1.abc", "s.abc", "s1abc", "s1.", "s10000.abc", "x_s1.abc", "lct_lct_s1.abc", ""],
)
def test_what_is_not_a_mark_names_no_shard(token: str) -> None:
    assert token_shard(token) is None


@pytest.mark.parametrize("shard", [-1, MAX_MARKED_SHARD + 1])
def test_a_mark_names_a_shard_a_map_can_have(shard: int) -> None:
    with pytest.raises(ValueError, match=f"a shard mark names shard 0 to {MAX_MARKED_SHARD}; got {shard}"):
        new_token(shard=shard)
    assert shard_mark(None) == ""
