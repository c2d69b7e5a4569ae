"""Example JSON from the Uphance API documents (../shared/seeds), repaired where they are broken.

The documents are loose text: examples are JSON blocks after "Example response:" or
"Example request:", some invalid (the production timeline has a trailing comma) and the
connection document only shows fragments without their braces. Tests load them by name:

    seed_example("production_orders_with_stages")  # -> dict

When the seed documents are not there (a checkout without ../shared), the same examples are
read from tests/fixtures/uphance/<name>.json, which `python -m tests.support.seed_examples
--write-fixtures` regenerates.
"""
import argparse
import bisect
import copy
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEEDS_ENV = "SEAMLINE_SEEDS_DIR"
REPO_DIR = Path(__file__).resolve().parents[2]
FIXTURES_DIR = REPO_DIR / "tests" / "fixtures" / "uphance"

# name -> (document number, kind of block, index among blocks of that kind in the document)
EXAMPLES: dict[str, tuple[str, str, int]] = {
    "token": ("001", "response", 0),
    "organisations": ("001", "response", 1),
    "set_current_org": ("001", "response", 2),
    "pagination_meta": ("001", "meta", 0),
    "production_orders": ("002", "response", 0),
    "production_orders_with_stages": ("002", "response", 1),
    "production_timeline": ("002", "response", 2),
    "production_orders_pagination_meta": ("002", "meta", 0),
    "sales_orders": ("000", "response", 0),
    "sales_order_create_request": ("000", "request", 0),
    "customers": ("003", "response", 0),
    "customer_create_request": ("003", "request", 0),
    "customer_contact_create_request": ("003", "request", 1),
    "customer_address_create_request": ("003", "request", 2),
}


@dataclass(frozen=True)
class SeedBlock:
    kind: str  # "response", "request", "meta" (a bare "meta": {...} fragment) or "block"
    text: str  # as written in the document (non-breaking spaces turned into spaces)
    line: int  # 1-based line where it starts


def seeds_dir() -> Path | None:
    """$SEAMLINE_SEEDS_DIR, else <repo>/../shared/seeds; None when neither exists."""
    configured = os.environ.get(SEEDS_ENV)
    candidate = Path(configured) if configured else REPO_DIR.parent / "shared" / "seeds"
    return candidate if candidate.is_dir() else None


def seed_example_names() -> list[str]:
    return list(EXAMPLES)


# --- extraction ----------------------------------------------------------------------------------

def _closing_index(text: str, start: int) -> int | None:
    """Index just after the bracket that closes text[start], strings taken into account."""
    depth = 0
    in_string = escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def seed_blocks(text: str) -> list[SeedBlock]:
    """Every JSON block or fragment in a seed document, in order, tagged by what precedes it."""
    text = text.replace("\u00a0", " ")
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    blocks: list[SeedBlock] = []
    marker: str | None = None
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped:
            index += 1
            continue
        if stripped.startswith("{"):
            start = offsets[index] + lines[index].index("{")
            end = _closing_index(text, start)
            if end is None:  # unbalanced: take up to the next blank line
                blank = text.find("\n\n", start)
                end = len(text) if blank == -1 else blank
            blocks.append(SeedBlock(marker or "block", text[start:end], index + 1))
            marker = None
            index = bisect.bisect_right(offsets, end - 1)
            continue
        if stripped.startswith('"') and (marker or stripped.startswith('"meta"')):
            end = index
            while end < len(lines) and lines[end].strip():
                end += 1
            fragment = "".join(lines[index:end]).strip()
            blocks.append(SeedBlock(marker or "meta", fragment, index + 1))
            marker = None
            index = end
            continue
        lowered = stripped.lower()
        if lowered.startswith("example response"):
            marker = "response"
        elif lowered.startswith("example request"):
            marker = "request"
        else:
            marker = None
        index += 1
    return blocks


# --- repair --------------------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+)', re.DOTALL)


def _tokens(text: str) -> list[str]:
    tokens = []
    position = 0
    while True:
        match = _TOKEN.match(text, position)
        if not match:
            break
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def repair_json_fragment(text: str) -> str:
    """Turn what the docs print into JSON: drop trailing commas, add the braces they leave out.

    Handles a fragment that starts with `"key":` (wrapped in an object), `"key": value` pairs
    written straight inside an array (wrapped in an object each run), and containers left open.
    """
    tokens = _tokens(text)
    out: list[str] = []
    stack: list[str] = []  # "{", "[" or "(" (an object the fragment forgot to open)

    def followed_by_colon(position: int) -> bool:
        return position + 1 < len(tokens) and tokens[position + 1] == ":"

    if tokens and tokens[0].startswith('"') and followed_by_colon(0):
        out.append("{")
        stack.append("{")
    for position, token in enumerate(tokens):
        if token == ",":
            upcoming = tokens[position + 1] if position + 1 < len(tokens) else None
            if upcoming not in (None, "}", "]"):
                out.append(",")
        elif token in "{[" and len(token) == 1:
            out.append(token)
            stack.append(token)
        elif token == "]":
            while stack and stack[-1] == "(":
                out.append("}")
                stack.pop()
            if stack:
                stack.pop()
            out.append("]")
        elif token == "}":
            if stack:
                stack.pop()
            out.append("}")
        elif token.startswith('"') and stack and stack[-1] == "[" and followed_by_colon(position):
            out.extend(["{", token])
            stack.append("(")
        else:
            out.append(token)
    while stack:
        out.append("]" if stack.pop() == "[" else "}")
    return "".join(out)


def parse_example_text(text: str) -> Any:
    """json.loads when the example is valid, else the repaired fragment."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(repair_json_fragment(text))


# --- lookup --------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _document_blocks(path: Path) -> tuple[SeedBlock, ...]:
    return tuple(seed_blocks(path.read_text(encoding="utf-8")))


def _seed_document(number: str, directory: Path) -> Path:
    matches = sorted(directory.glob(f"{number}_*.txt"))
    if not matches:
        raise FileNotFoundError(f"no seed document {number}_*.txt in {directory}")
    return matches[0]


def seed_example_text(name: str, *, directory: Path | None = None) -> str:
    """The example exactly as the seed document prints it (may not be valid JSON)."""
    if name not in EXAMPLES:
        raise KeyError(f"unknown seed example {name!r}; known: {', '.join(EXAMPLES)}")
    directory = directory or seeds_dir()
    if directory is None:
        raise FileNotFoundError(f"seed documents not found (set {SEEDS_ENV})")
    number, kind, ordinal = EXAMPLES[name]
    path = _seed_document(number, directory)
    blocks = [block for block in _document_blocks(path) if block.kind == kind]
    if ordinal >= len(blocks):
        raise LookupError(f"{path.name} has no {kind} example #{ordinal + 1} ({name})")
    return blocks[ordinal].text


def fixture_path(name: str) -> Path:
    return FIXTURES_DIR / f"{name}.json"


def seed_example(name: str, *, source: str = "auto") -> Any:
    """A fresh copy of the named example (usually a dict).

    source: "seeds" (the documents), "fixtures" (tests/fixtures/uphance), or "auto" (the
    documents when they exist, else the fixtures).
    """
    if name not in EXAMPLES:
        raise KeyError(f"unknown seed example {name!r}; known: {', '.join(EXAMPLES)}")
    if source not in ("auto", "seeds", "fixtures"):
        raise ValueError("source must be 'auto', 'seeds' or 'fixtures'")
    if source == "seeds" or (source == "auto" and seeds_dir() is not None):
        return copy.deepcopy(parse_example_text(seed_example_text(name)))
    return json.loads(fixture_path(name).read_text(encoding="utf-8"))


def write_fixtures(directory: Path = FIXTURES_DIR) -> list[Path]:
    """Regenerate tests/fixtures/uphance/*.json from the seed documents."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in EXAMPLES:
        path = directory / f"{name}.json"
        data = seed_example(name, source="seeds")
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-fixtures", action="store_true", help="regenerate the fixtures")
    parser.add_argument("name", nargs="?", help="print one example as JSON")
    args = parser.parse_args(argv)
    if args.write_fixtures:
        for path in write_fixtures():
            print(path)
    elif args.name:
        print(json.dumps(seed_example(args.name), indent=2, ensure_ascii=False))
    else:
        print("\n".join(seed_example_names()))


if __name__ == "__main__":
    main()
