"""Declared settings for the box config: one declaration per setting.

Modelled on :mod:`appliance.profile.fields`. A dataclass field is declared
with :func:`setting` (a value: its TOML kind, a line of help, a check) or
:func:`section` (a nested table, an optional table, or an array of tables).
From that one declaration come: reading TOML with every problem collected at
once (:class:`Reader`), the checks a directly built value must pass
(:func:`check_value`), the "valid" lists and did-you-mean of unknown keys, and
the lines ``tonic config`` prints (:func:`describe`).

Plain data only: this module must stay cheap to import (no synth, no numpy).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from appliance.textfile import excerpt

Check = Callable[[Any], Any]
"""Validates a value and returns it; raises ValueError with the allowed values."""

#: A problem list longer than this is cut, so a file of 50,000 unknown keys
#: gives a readable message (and no 50,000 did-you-mean searches).
MAX_PROBLEMS = 20
#: Keys longer than this get no did-you-mean: no valid name is near them.
_MAX_HINT_KEY = 64


@dataclass(frozen=True, slots=True)
class Kind:
    """How one kind of value is written in TOML."""

    name: str  # for messages: "a whole number"
    parse: Callable[[object], Any]  # a TOML value to the Python value; ValueError if wrong
    show: Callable[[Any], str]  # the Python value as TOML text


@dataclass(frozen=True, slots=True)
class Spec:
    kind: Kind
    help: str
    check: Check | None = None
    unset: str = ""  # for a setting that may be left out (None): what that means


@dataclass(frozen=True, slots=True)
class Section:
    """A nested table. ``optional``: ``name = false`` means none, ``true`` the defaults.
    ``many``: an array of tables (``[[name]]``), at most this many."""

    cls: type
    help: str
    optional: bool = False
    many: int = 0
    item: str = ""  # what one entry of an array is called in messages ("beam")


@dataclass(frozen=True, slots=True)
class Problem:
    path: str  # where in the file, e.g. "pads.address"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


Declaration = Spec | Section


def setting(
    default: Any = dataclasses.MISSING,
    *,
    kind: Kind,
    help: str,
    check: Check | None = None,
    unset: str = "",
    factory: Callable[[], Any] | None = None,
) -> Any:
    """Declare a dataclass field as a box setting."""
    spec = Spec(kind, help, check, unset)
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"decl": spec})
    return dataclasses.field(default=default, metadata={"decl": spec})


def section(
    cls: type,
    *,
    help: str,
    default: Any = dataclasses.MISSING,
    optional: bool = False,
    many: int = 0,
    item: str = "",
) -> Any:
    """Declare a dataclass field as a nested table of settings (by default, ``cls()``)."""
    decl = Section(cls, help, optional, many, item)
    if default is dataclasses.MISSING:
        return dataclasses.field(default_factory=cls, metadata={"decl": decl})
    return dataclasses.field(default=default, metadata={"decl": decl})


def declarations(cls: type) -> dict[str, Declaration]:
    """The settings and sections a dataclass declares, in declaration order."""
    return {f.name: f.metadata["decl"] for f in dataclasses.fields(cls) if "decl" in f.metadata}


def _required(cls: type) -> set[str]:
    missing = dataclasses.MISSING
    return {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is missing and f.default_factory is missing
    }


# -- kinds --------------------------------------------------------------------


def _show(value: object) -> str:
    kind = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    name = kind.get(type(value), "a list" if isinstance(value, list) else "a table")
    return f"{excerpt(value)} ({name})"


def _int(value: object) -> int:
    if type(value) is not int:
        raise ValueError(f"must be a whole number, got {_show(value)}")
    return value


def _number(value: object) -> float:
    if type(value) is int:
        return float(value)
    if type(value) is not float:
        raise ValueError(f"must be a number, got {_show(value)}")
    return value


def _text(value: object) -> str:
    if type(value) is not str:
        raise ValueError(f"must be text in quotes, got {_show(value)}")
    return value


def _int_list(value: object) -> tuple[int, ...]:
    if type(value) is not list or not all(type(v) is int for v in value):
        raise ValueError(f"must be a list of whole numbers like [17, 27], got {_show(value)}")
    return tuple(value)


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


def _float_text(value: float) -> str:
    return repr(float(value))


INT = Kind("a whole number", _int, str)
HEX = Kind("a whole number", _int, lambda v: f"0x{v:02X}")
NUMBER = Kind("a number", _number, _float_text)
TEXT = Kind("text", _text, lambda v: _quoted(os.fspath(v)))
INT_LIST = Kind("a list of whole numbers", _int_list, lambda v: f"[{', '.join(map(str, v))}]")


def optional_int(word: str) -> Kind:
    """A whole number, or the text ``word`` (e.g. "none") for no number at all."""

    def parse(value: object) -> int | None:
        if value == word and type(value) is str:
            return None
        if type(value) is not int:
            raise ValueError(f'must be a whole number or "{word}", got {_show(value)}')
        return value

    return Kind(
        f'a whole number or "{word}"', parse, lambda v: _quoted(word) if v is None else str(v)
    )


_OCTAL = re.compile(r"[0-7]{3,4}")


def _octal(value: object) -> int:
    # Text, not a TOML integer: `mode = 660` would silently be decimal 660 (0o1224).
    if type(value) is not str or not _OCTAL.fullmatch(value):
        raise ValueError(f'must be octal digits in quotes, like "0660", got {_show(value)}')
    return int(value, 8)


OCTAL = Kind('octal digits in quotes, like "0660"', _octal, lambda v: f'"{v:04o}"')


# -- checks -------------------------------------------------------------------


def in_range(lo: float, hi: float) -> Check:
    def check(value: float) -> float:
        if not lo <= value <= hi:  # False for NaN too
            raise ValueError(f"must be {lo}..{hi}, got {_brief(value)}")
        return value

    return check


def one_of(*choices: object) -> Check:
    def check(value: object) -> object:
        if value not in choices:
            words = [c for c in choices if isinstance(c, str)]
            hint = _did_you_mean(value, words) if isinstance(value, str) else ""
            shown = ", ".join(map(str, choices))
            raise ValueError(f"must be one of {shown}, got {_brief(value)}{hint}")
        return value

    return check


#: Longer than any path a box has (Linux's PATH_MAX): only junk is longer.
MAX_PATH_CHARS = 4096


def absolute_path(value: str | os.PathLike[str]) -> str | os.PathLike[str]:
    text = os.fspath(value)
    if not text.isprintable() or len(text) > MAX_PATH_CHARS or not os.path.isabs(text):
        raise ValueError("must be an absolute path (starting with /), printable")
    return value


def power_of_two(lo: int, hi: int) -> Check:
    def check(value: int) -> int:
        if not (lo <= value <= hi and value & (value - 1) == 0):
            raise ValueError(f"must be a power of two from {lo} to {hi}, got {_brief(value)}")
        return value

    return check


def _brief(value: object) -> str:
    """A bad value for a message: numbers bare and short, text quoted and cut."""
    if isinstance(value, float):
        return f"{value:g}"
    shown = excerpt(value)
    return shown if isinstance(value, str) else shown.strip("'")


def _did_you_mean(word: str, valid: list[str]) -> str:
    if len(word) > _MAX_HINT_KEY:
        return ""
    hint = difflib.get_close_matches(word, valid, n=1)
    return f"; did you mean '{hint[0]}'?" if hint else ""


# -- reading TOML ---------------------------------------------------------------


class _Bad:
    """Marks a value that failed; its problem is already recorded."""


BAD = _Bad()


class Reader:
    """Reads nested TOML tables against declarations, collecting every problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.given: set[str] = set()  # every path the file set

    @property
    def bad_paths(self) -> set[str]:
        return {p.path for p in self.problems}

    def fields(self, cls: type, table: Mapping[str, Any], path: str = "") -> dict[str, Any]:
        """The valid values of ``table`` for ``cls``; problems go to :attr:`problems`."""
        decls = declarations(cls)
        values: dict[str, Any] = {}
        for key, raw in table.items():
            where = f"{path}.{key}" if path else key
            decl = decls.get(key)
            if decl is None:
                self.unknown(where, key, list(decls))
                continue
            self.given.add(where)
            value = self._section(decl, raw, where) if isinstance(decl, Section) else None
            if isinstance(decl, Spec):
                value = self._value(decl, raw, where)
            if value is not BAD:
                values[key] = value
        for name in sorted(_required(cls) - set(table)):
            self.add(path or cls.__name__, f"missing '{name}': {decls[name].help}")
        return values

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def unknown(self, where: str, key: str, valid: list[str]) -> None:
        shown = where if where.isprintable() and len(where) <= _MAX_HINT_KEY else excerpt(where)
        hint = _did_you_mean(key, valid)
        self.add(shown, f"unknown setting{hint} (valid: {', '.join(valid)})")

    def _value(self, spec: Spec, raw: object, where: str) -> Any:
        try:
            value = spec.kind.parse(raw)
            return spec.check(value) if spec.check is not None and value is not None else value
        except ValueError as e:
            self.add(where, str(e))
            return BAD

    def _section(self, decl: Section, raw: object, where: str) -> Any:
        if decl.optional and type(raw) is bool:
            return decl.cls() if raw else None
        if decl.many:
            return self._many(decl, raw, where)
        if type(raw) is not dict:
            extra = " or true/false" if decl.optional else ""
            self.add(where, f"must be a table [{where}]{extra}, got {_show(raw)}")
            return BAD
        return self._build(decl.cls, raw, where)

    def _many(self, decl: Section, raw: object, where: str) -> Any:
        if type(raw) is not list or not all(type(t) is dict for t in raw):
            self.add(where, f"must be tables written [[{where}]], got {_show(raw)}")
            return BAD
        if len(raw) > decl.many:
            self.add(where, f"at most {decl.many} {decl.item}s, got {len(raw)}")
            return BAD
        items = [self._build(decl.cls, t, f"{where}[{n}]") for n, t in enumerate(raw, start=1)]
        return BAD if any(i is BAD for i in items) else tuple(items)

    def _build(self, cls: type, table: Mapping[str, Any], where: str) -> Any:
        values = self.fields(cls, table, where)
        # Bad values fall back to their defaults, so the rest of the table can
        # still be checked against other tables (a GPIO used twice); the caller
        # skips checks on paths that had a problem. A table missing a field
        # that has no default cannot be built at all.
        return cls(**values) if _required(cls) <= set(values) else BAD


# -- checking built values --------------------------------------------------------


def check_value(value: Any, path: str = "") -> list[Problem]:
    """Run every declared check on an already built dataclass (e.g. made in code)."""
    problems: list[Problem] = []
    for name, decl in declarations(type(value)).items():
        where = f"{path}.{name}" if path else name
        got = getattr(value, name)
        if isinstance(decl, Section):
            items = got if decl.many else (got,)
            if decl.many and len(items) > decl.many:
                problems.append(
                    Problem(where, f"at most {decl.many} {decl.item}s, got {len(items)}")
                )
            for n, item in enumerate(items, start=1):
                if item is not None:
                    problems += check_value(item, f"{where}[{n}]" if decl.many else where)
        elif decl.check is not None and got is not None:
            try:
                decl.check(got)
            except ValueError as e:
                problems.append(Problem(where, str(e)))
    return problems


def summary(problems: list[Problem]) -> str:
    """Problems as one line: the first :data:`MAX_PROBLEMS`, then how many more."""
    shown = "; ".join(map(str, problems[:MAX_PROBLEMS]))
    if len(problems) == 1:
        return shown
    more = len(problems) - MAX_PROBLEMS
    tail = f"; and {more} more" if more > 0 else ""
    return f"{len(problems)} problems: {shown}{tail}"


# -- describing -------------------------------------------------------------------


def describe(value: Any, source: Callable[[str], str], *, explain: bool = False) -> Iterator[str]:
    """TOML lines for a built dataclass, each ending ``# <source(path)>``.

    Plain settings come first, then the tables, as TOML requires. The lines
    parse back to the same value (comments aside).
    """
    decls = declarations(type(value))
    tables: list[tuple[str, Section, Any]] = []
    for name, decl in decls.items():
        got = getattr(value, name)
        if isinstance(decl, Section):
            if got is None:
                yield from _help(decl.help, explain)
                yield f"{name} = false  # {source(name)}"
            elif decl.many and not got:
                yield from _help(decl.help, explain)
                yield f"{name} = []  # {source(name)}"
            else:
                tables.append((name, decl, got))
            continue
        yield from _help(decl.help, explain)
        if got is None and decl.unset:
            yield f"# {name}: not set, so {decl.unset}  # {source(name)}"
        else:
            yield f"{name} = {decl.kind.show(got)}  # {source(name)}"
    for name, decl, got in tables:
        items = list(enumerate(got, start=1)) if decl.many else [(0, got)]
        for n, item in items:
            yield ""
            yield from _help(decl.help, explain)
            yield f"[[{name}]]" if decl.many else f"[{name}]"
            prefix = f"{name}[{n}]" if decl.many else name
            yield from describe(item, _within(source, prefix), explain=explain)


def _within(source: Callable[[str], str], prefix: str) -> Callable[[str], str]:
    return lambda path: source(f"{prefix}.{path}")


def _help(text: str, explain: bool) -> Iterator[str]:
    if explain:
        yield f"# {text}"
