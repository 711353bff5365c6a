"""Reference tables for the README, generated from the code so the docs cannot drift.

Why: the reward catalogue (names, parameters, defaults) and the limits (settings, units,
defaults) change with the code. The README holds them between ``<!-- BEGIN name -->`` and
``<!-- END name -->`` markers; ``python -m app.tools.reference --write README.md`` regenerates them and a
test fails when the README is stale.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["render_sections", "reward_catalogue_md", "settings_md", "update_text"]


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("|", "\\|").replace("\n", " ")


def reward_catalogue_md() -> str:
    """One table row per reward parameter, grouped by reward."""
    from app.composition import service_registry

    lines = ["| reward | kind | parameter | default | meaning |", "|---|---|---|---|---|"]
    for d in sorted(service_registry(), key=lambda d: (d.kind.value != "math", d.kind.value, d.name)):
        doc = d.doc.strip().split("\n\n")[0].replace("\n", " ")
        lines.append(f"| `{d.name}` | {d.kind.value} | | | {_cell(doc)} |")
        for param, default in d.defaults.items():
            lines.append(f"| | | `{param}` | `{_cell(default)}` | {_cell(d.param_docs.get(param, ''))} |")
    return "\n".join(lines)


def settings_md() -> str:
    """Every setting with its environment variable, default and description."""
    from app.settings import Settings

    lines = ["| environment variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = getattr(default, "value", default)
        lines.append(f"| `ARBITER_{name.upper()}` | `{_cell(shown)}` | {_cell(field.description or '')} |")
    return "\n".join(lines)


def render_sections() -> dict[str, str]:
    return {"reward-catalogue": reward_catalogue_md(), "settings": settings_md()}


def update_text(text: str, sections: dict[str, str]) -> str:
    """``text`` with each marked section replaced; a missing marker is an error."""
    for name, body in sections.items():
        pattern = re.compile(
            rf"(<!-- BEGIN {re.escape(name)} -->\n).*?(<!-- END {re.escape(name)} -->)", re.S
        )
        if not pattern.search(text):
            raise ValueError(f"README has no <!-- BEGIN {name} --> ... <!-- END {name} --> markers")
        match = pattern.search(text)
        assert match is not None
        text = text[: match.start()] + match.group(1) + body + "\n" + match.group(2) + text[match.end() :]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the README's reference tables from the code.")
    parser.add_argument("--write", metavar="README", help="update this file in place")
    args = parser.parse_args(argv)
    sections = render_sections()
    if args.write:
        path = Path(args.write)
        path.write_text(update_text(path.read_text(encoding="utf-8"), sections), encoding="utf-8")
    else:
        for name, body in sections.items():
            print(f"<!-- BEGIN {name} -->\n{body}\n<!-- END {name} -->\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
