"""Finished runs shipped in resources/examples, to open at once in a lecture."""

from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass
from pathlib import Path

from cl_viz.core.errors import ClVizError
from cl_viz.core.resources import resource_dir


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    description: str
    path: Path


def list_examples(folder: Path | None = None) -> list[Example]:
    """Recordings listed in examples.toml (title, description, the command that made each)."""
    folder = folder or resource_dir("examples")
    index = folder / "examples.toml"
    if not index.is_file():
        return []
    try:
        entries = tomllib.loads(index.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ClVizError(f"{index} cannot be read: {error}") from None
    examples = []
    for name, entry in entries.items():
        path = folder / f"{name}.clviz"
        if path.is_file():
            examples.append(Example(name, entry.get("title", name), entry.get("description", ""), path))
    return examples


def find_example(name: str) -> Example:
    examples = {example.name: example for example in list_examples()}
    if name not in examples:
        known = ", ".join(sorted(examples)) or "none are installed"
        raise ClVizError(f"no example named {name!r}; choose one of: {known}")
    return examples[name]
