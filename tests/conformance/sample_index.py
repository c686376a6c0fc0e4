"""Read the validation results that ``samples/README.md`` records per sample."""

import re
from dataclasses import dataclass
from pathlib import Path

# README names for the schema sets this suite loads.
README_SETS = {
    "2010SP2": "exchange2010_sp2",
    "2013SP1": "exchange2013_sp1",
    "OpenSpecs2016": "openspecs",
}

_HEADING = re.compile(r"^### (?P<path>\S+\.(?:xml|txt))$")
_VALIDATION = re.compile(r"^- validation: (?P<results>.*)$")
_RESULT = re.compile(r"(?P<set>\w+)=(?P<verdict>[A-Z]+)")


@dataclass(frozen=True)
class RecordedResult:
    """What the README says one element of one sample gave in one set."""

    sample: str
    element: str
    schema_set: str
    verdict: str

    @property
    def local_name(self) -> str:
        """The element's name without prefix or namespace."""
        return self.element.rpartition(":")[2].rpartition("}")[2]


def read_recorded_results(samples_dir: Path) -> list[RecordedResult]:
    """Return every (sample, element, set) verdict in the samples README.

    Raises OSError when the README cannot be read.
    """
    results = []
    sample = None
    for line in (samples_dir / "README.md").read_text().splitlines():
        heading = _HEADING.match(line)
        if heading:
            sample = heading["path"]
            continue

        validation = _VALIDATION.match(line)
        if validation and sample:
            results.extend(_parse_validation(sample, validation["results"]))

    return results


def _parse_validation(sample: str, text: str) -> list[RecordedResult]:
    results = []
    for part in text.split("; "):
        element, _, verdicts = part.partition(": ")
        for match in _RESULT.finditer(verdicts):
            schema_set = README_SETS.get(match["set"])
            if schema_set:
                results.append(
                    RecordedResult(sample, element, schema_set, match["verdict"])
                )

    return results
