"""Heartbeat time syntax: glue's cl_get_msec, including its rounding and unit quirks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hacore.config.timeparse import parse_msec


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2", 2000),
        ("1.5", 1500),
        ("1.7", 1700),
        ("0.001", 1),
        ("500ms", 500),
        ("1700 ms", 1700),
        ("10msec", 10),
        ("10 msec", 10),
        ("2000MS", 2000),
        ("499us", 0),
        ("501us", 1),
        ("1000000us", 1000),
        ("3 USEC", 0),
        ("  4", 4000),
        (".5", 500),
        ("1.", 1000),
        ("1.2.3", 1200),  # atof stops at the second dot
        ("0", 0),
    ],
)
def test_examples_from_glue(text: str, ms: int) -> None:
    assert parse_msec(text) == ms


@pytest.mark.parametrize("text", ["2s", "2 s", "1min", "1e3", "", "ms", "-1", "abc", "5 hours"])
def test_anything_else_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"\[.*\]"):
        parse_msec(text)


@given(st.integers(min_value=0, max_value=10**9))
def test_plain_integers_are_seconds(n: int) -> None:
    assert parse_msec(str(n)) == n * 1000


@given(
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(["ms", "MS", "Ms", "msec", "MSEC"]),
    st.sampled_from(["", " ", "\t", "  "]),
)
def test_milliseconds_any_case_with_optional_space(n: int, unit: str, gap: str) -> None:
    assert parse_msec(f"{n}{gap}{unit}") == n


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["us", "US", "usec", "uSec"]))
def test_microseconds_round_half_up(n: int, unit: str) -> None:
    assert parse_msec(f"{n}{unit}") == (n + 500) // 1000


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=999))
def test_decimal_seconds_with_millisecond_precision_are_exact(whole: int, frac: int) -> None:
    assert parse_msec(f"{whole}.{frac:03d}") == whole * 1000 + frac


@given(
    st.integers(min_value=0, max_value=1000),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!-+_/", min_size=1),
)
def test_other_units_are_refused(n: int, unit: str) -> None:
    if unit[:2].lower() in ("ms", "us"):
        assert parse_msec(f"{n}{unit}") >= 0  # glue only compares the first two letters
    else:
        with pytest.raises(ValueError):
            parse_msec(f"{n}{unit}")
