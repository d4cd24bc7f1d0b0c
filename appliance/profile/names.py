"""Profile names and the slugs their files are named by.

A profile's file is named by a *slug* made from its name ("First steps" is
``first-steps.toml``): lowercase a-z, 0-9 and '-', nothing else, so no name a
therapist types or a network client sends can reach a path outside the
profiles folder. A name with no Latin letter or digit at all ("音楽") gets a
slug from a short hash of the name, so it still has a file of its own.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from appliance.errors import ProfileError
from appliance.textfile import excerpt

MAX_NAME_CHARS = 100
"""The longest profile name: as long as any text setting may be (fields.py)."""

MAX_SLUG_CHARS = 60
"""Slugs are cut to this, far inside any filesystem's 255-byte name limit
even with ``.toml.bak`` and a temporary file's prefix and suffix added."""

_HASH_CHARS = 8
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def check_name(name: str) -> str:
    """``name`` with outer spaces removed, or :class:`ProfileError` saying what is wrong."""
    if not isinstance(name, str):
        raise ProfileError(f"a profile name must be text, got {excerpt(name)}")
    shown = excerpt(name)
    name = name.strip()
    if not name:
        raise ProfileError("a profile needs a name")
    if len(name) > MAX_NAME_CHARS:
        raise ProfileError(
            f"a profile name may be at most {MAX_NAME_CHARS} characters, got {len(name):,}: {shown}"
        )
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        raise ProfileError(f"a profile name cannot hold control characters or line breaks: {shown}")
    if not any(unicodedata.category(c)[0] in "LN" for c in name):
        raise ProfileError(f"a profile name needs at least one letter or digit, got {shown}")
    return name


def slug_for(name: str) -> str:
    """The file name (less ``.toml``) for a profile name; a slug maps to itself.

    Refuses names that could never be a profile's (see :func:`check_name`).
    """
    name = check_name(name)
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    slug = slug[:MAX_SLUG_CHARS].rstrip("-")
    if not slug:  # letters, but none Latin: a stable name from the name itself
        digest = hashlib.sha256(name.casefold().encode()).hexdigest()[:_HASH_CHARS]
        slug = f"profile-{digest}"
    return slug


def is_slug(text: str) -> bool:
    return len(text) <= MAX_SLUG_CHARS and SLUG.fullmatch(text) is not None
