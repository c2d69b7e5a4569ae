"""Shipup test fixtures: the seed's examples, a fake clock, a sandbox on loopback."""
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from integrations.shipup.sandbox import ShipupSandboxServer

REPO = Path(__file__).resolve().parents[3]
SEED = REPO.parent / "shared" / "seeds" / "004_94488d8f95650e4a.txt"
FIXTURES = REPO / "tests" / "fixtures" / "shipup"


@dataclass
class SeedExamples:
    valid: dict  # the seed's valid POST /v2/orders body
    valid_status: int
    invalid: dict  # the seed's "⚠️ This payload is invalid" body
    invalid_status: int
    invalid_response: dict  # the seed's documented 400 body for it


def extract_seed_examples(text: str) -> SeedExamples:
    """Pull the three top-level JSON documents (valid, invalid, 400 body) out of the seed text."""
    decoder = json.JSONDecoder()
    documents, offset, consumed = [], 0, 0
    for line in text.splitlines(keepends=True):
        if offset >= consumed and line.strip() == "{":
            document, consumed = decoder.raw_decode(text, offset)
            documents.append(document)
        offset += len(line)
    statuses = [int(s) for s in re.findall(r"// status\s+(\d+)", text)]
    valid, invalid, invalid_response = documents
    return SeedExamples(valid, statuses[0], invalid, statuses[1], invalid_response)


def load_fixture_examples() -> SeedExamples:
    def load(name):
        return json.loads((FIXTURES / name).read_text())

    statuses = load("seed_statuses.json")
    return SeedExamples(load("order_valid.json"), statuses["valid"], load("order_invalid.json"),
                        statuses["invalid"], load("order_invalid_response.json"))


@pytest.fixture(scope="session")
def seed_examples() -> SeedExamples:
    if SEED.exists():
        return extract_seed_examples(SEED.read_text(encoding="utf-8"))
    return load_fixture_examples()


class FakeTime:
    """Injected clock/sleep: sleeping advances the clock, nothing really waits."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def shipup_sandbox():
    with ShipupSandboxServer(api_key="sandbox-key") as server:
        yield server
