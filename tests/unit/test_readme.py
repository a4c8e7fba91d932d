"""The README's examples do what they say."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options")


def _blocks(config: str) -> list[str]:
    """The body of every `location` block of an nginx config, inner blocks cut out of outer ones."""
    bodies: list[str] = []
    stack: list[list[str]] = []
    for token in re.split(r"([{}])", config):
        if token == "{":
            stack.append([])
        elif token == "}":
            bodies.append("".join(stack.pop()))
        elif stack:
            stack[-1].append(token)
    return bodies


def test_every_nginx_location_that_adds_headers_repeats_the_security_headers() -> None:
    # nginx: a block with its own add_header inherits none of the outer block's.
    configs = re.findall(r"```nginx\n(.*?)```", README.read_text(), re.DOTALL)
    assert configs
    with_headers = [b for config in configs for b in _blocks(config) if "add_header" in b]
    assert len(with_headers) >= 2
    for body in with_headers:
        for header in SECURITY_HEADERS:
            assert f"add_header {header}" in body, body
