"""The shared reader for every file the box reads: hostile files get one line, never a hang."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.errors import TonicError
from appliance.textfile import (
    MAX_LINE_CHARS,
    MAX_TOML_DEPTH,
    BadToml,
    FileMissing,
    UnreadableFile,
    decode_text,
    excerpt,
    lines,
    nesting_depth,
    parse_toml,
    read_text_file,
)


def read(path: str | Path, max_bytes: int = 1000) -> str:
    return read_text_file(path, what="profile", max_bytes=max_bytes)


# -- what is accepted ---------------------------------------------------------


def test_a_bom_is_dropped_and_crlf_and_cr_become_newlines(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(b"\xef\xbb\xbfa = 1\r\nb = 2\rc = 3\n")
    assert read(path) == "a = 1\nb = 2\nc = 3\n"


def test_a_file_of_exactly_the_limit_is_read(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(b"x" * 1000)
    assert len(read(path, max_bytes=1000)) == 1000


def test_lines_count_newlines_only_as_an_editor_does():
    text = "a\u2028b\nc\x0bd\x0ce\x85f\u2029g\nlast\n"
    assert lines(text) == ["a\u2028b", "c\x0bd\x0ce\x85f\u2029g", "last"]
    assert len(text.splitlines()) == 8  # what the old parser counted


def test_lines_match_splitlines_on_plain_text():
    for text in ["", "\n", "a", "a\n", "a\n\nb", "a\nb\n\n"]:
        assert lines(text) == text.splitlines()


# -- what is refused ----------------------------------------------------------


def one_line(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message
    assert isinstance(error, TonicError)
    return message


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileMissing) as caught:
        read(tmp_path / "nope.toml")
    assert isinstance(caught.value, FileNotFoundError)
    assert one_line(caught.value) == f"profile not found: {tmp_path / 'nope.toml'}"


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/dev/zero", "a device"), ("/dev/urandom", "a device"), ("/dev/null", "a device")],
)
def test_device_nodes_are_refused_before_reading(path, kind):
    with pytest.raises(UnreadableFile) as caught:
        read(path)
    assert one_line(caught.value) == f"cannot read profile {path}: it is {kind}, not a regular file"


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(UnreadableFile, match="it is a directory, not a regular file"):
        read(tmp_path)


def test_a_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "p.toml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            read(fifo)
        except BaseException as e:
            outcome.append(e)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(timeout=10)  # a hang, not a speed: the answer needs no writer at all
    assert not reader.is_alive(), "reading a FIFO blocked"
    assert isinstance(outcome[0], UnreadableFile)
    assert "named pipe (FIFO)" in one_line(outcome[0])


def test_a_symlink_to_a_device_is_refused(tmp_path):
    link = tmp_path / "p.toml"
    link.symlink_to("/dev/zero")
    with pytest.raises(UnreadableFile, match="it is a device"):
        read(link)


def test_a_file_over_the_limit_is_refused_by_size(tmp_path):
    path = tmp_path / "p.toml"
    path.write_bytes(b"x" * 1001)
    with pytest.raises(UnreadableFile) as caught:
        read(path, max_bytes=1000)
    assert one_line(caught.value) == (
        f"cannot read profile {path}: it is too large (the limit is 1,000 bytes)"
    )


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"a = 1\n\0\0", "a NUL byte at byte 6"),
        (b"name = '\xff\xfe'\n", "not UTF-8 at byte 8"),
        (b"\xef\xbb", "not UTF-8 at byte 0"),
    ],
)
def test_binary_content_is_refused(tmp_path, data, detail):
    path = tmp_path / "p.toml"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile) as caught:
        read(path)
    assert one_line(caught.value) == (
        f"cannot read profile {path}: it looks like a binary file, not text ({detail})"
    )


def test_an_unreadable_file_says_permission_denied(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "p.toml"
    path.write_text("a = 1\n")
    path.chmod(0)
    with pytest.raises(UnreadableFile, match="permission denied"):
        read(path)


def test_a_path_with_a_newline_stays_on_one_line(tmp_path):
    path = tmp_path / "a\nb.toml"
    with pytest.raises(FileMissing) as caught:
        read(path)
    one_line(caught.value)


@given(st.binary(max_size=300))
def test_any_bytes_are_text_or_one_documented_error(data):
    try:
        text = decode_text(data, what="profile", shown="p.toml")
    except UnreadableFile as e:
        one_line(e)
    else:
        assert "\r" not in text
        assert not text.startswith("\ufeff")


# -- TOML ---------------------------------------------------------------------


def test_toml_parses_as_tomllib_does():
    assert parse_toml('a = [1, {b = "[[["}] # [[[\n', origin="p") == {"a": [1, {"b": "[[["}]}


@pytest.mark.parametrize("opening", ["[", "{x = "])
def test_thousand_deep_nesting_is_refused_before_parsing(opening):
    closing = "]" if opening == "[" else "}"
    text = "a = 1\nb = " + opening * 1000 + "1" + closing * 1000 + "\n"
    with pytest.raises(BadToml) as caught:
        parse_toml(text, origin="p.toml", max_line=100_000)
    assert one_line(caught.value) == (
        f"p.toml: line 2: arrays or inline tables nested more than {MAX_TOML_DEPTH} deep"
    )


def test_nesting_up_to_the_limit_is_fine():
    depth = MAX_TOML_DEPTH - 1  # the value's own brackets
    value = "[" * depth + "1" + "]" * depth
    assert parse_toml(f"a = {value}\n", origin="p")["a"] is not None


def test_brackets_in_strings_and_comments_do_not_count():
    text = 'a = \'[[[[\' # [[[[[\nb = "\\"[[[["\nc = \'\'\'\n[[[[\n\'\'\'\nd = """x"""""\n'
    assert nesting_depth(text) == (0, 1)
    assert nesting_depth("a = 1\nb = [[1]]\n") == (2, 2)


def test_a_long_line_is_refused_naming_it():
    key = "a" + ".a" * 100_000
    with pytest.raises(BadToml) as caught:
        parse_toml(f"x = 1\n{key} = 1\n", origin="p.toml")
    assert one_line(caught.value) == (
        f"p.toml: line 2 is {len(key) + 4:,} characters long; the limit is {MAX_LINE_CHARS:,}"
    )


def test_a_toml_error_names_its_line():
    with pytest.raises(BadToml) as caught:
        parse_toml("a = 1\nb = \n", origin="p.toml")
    assert "p.toml: not valid TOML:" in one_line(caught.value)
    assert "line 2" in str(caught.value)


def test_a_repeated_long_key_is_quoted_briefly():
    key = "k" * 3000
    with pytest.raises(BadToml) as caught:
        parse_toml(f"[{key}]\n[{key}]\n", origin="p.toml")
    message = one_line(caught.value)
    assert len(message) < 300
    assert message.endswith("(at line 2, column 3002)")


def test_a_huge_integer_is_a_toml_error_not_a_traceback():
    # Past Python's 4,300-digit limit for int(), which tomllib does not catch.
    with pytest.raises(BadToml, match=r"p\.toml: not valid TOML"):
        parse_toml("a = " + "1" * 5001 + "\n", origin="p.toml", max_line=10_000)


toml_ish = st.text(alphabet=st.sampled_from(list("[]{}=,.'\"#ab1 \n\\")), max_size=200)


@given(toml_ish)
def test_random_nesting_is_a_dict_or_one_documented_error(text):
    try:
        result = parse_toml(text, origin="p.toml")
    except BadToml as e:
        assert one_line(e).startswith("p.toml: ")
    else:
        assert isinstance(result, dict)


@given(st.integers(min_value=0, max_value=200), st.sampled_from(["[", "{a="]))
def test_any_depth_is_a_dict_or_one_documented_error(depth, opening):
    closing = "]" if opening == "[" else "}"
    text = "v = " + opening * depth + "1" + closing * depth
    try:
        parse_toml(text, origin="p")
    except BadToml as e:
        assert depth + 1 > MAX_TOML_DEPTH or "not valid TOML" in str(e)
        one_line(e)
    else:
        assert depth < MAX_TOML_DEPTH


# -- excerpts -----------------------------------------------------------------


def test_an_excerpt_quotes_forty_characters_then_the_length():
    assert excerpt("guitar") == "'guitar'"
    assert excerpt("x" * 10_000_000) == repr("x" * 40) + "… (10,000,000 characters)"


def test_an_excerpt_of_a_deep_value_does_not_recurse():
    value: list[object] = []
    for _ in range(100_000):
        value = [value]
    assert excerpt(value) == "[[[[...]]]]"
    assert len(excerpt(list(range(100_000)))) <= 80


@given(st.recursive(st.none() | st.integers() | st.text(), st.lists, max_leaves=50))
def test_an_excerpt_is_always_short_and_one_line(value):
    shown = excerpt(value)
    assert len(shown) <= 120
    assert "\n" not in shown
