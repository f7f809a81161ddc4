"""``python -m resource_types.cdkgen extract|build|check`` (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from resource_types.cdkgen import extract, transform

DEFAULT_WHEELS = Path.home() / ".cache" / "rosengine" / "ros-cdk-wheels"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resource_types.cdkgen", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("extract", help="download the pinned wheels and write cdk-facts.json")
    fetch.add_argument("--wheels", type=Path, default=DEFAULT_WHEELS, help="wheel cache directory")
    commands.add_parser("build", help="write the schemas, index.json and report.txt from the facts")
    commands.add_parser("check", help="exit 1 when the committed schemas differ from a build")
    args = parser.parse_args(argv)

    if args.command == "extract":
        facts = extract.extract(args.wheels)
        extract.FACTS_FILE.write_text(extract.dump_facts(facts), encoding="utf-8")
        print(f"{extract.FACTS_FILE}: {len(facts['types'])} types, {len(facts['notes'])} notes")
        return 0
    outputs = transform.build(extract.load_facts(), transform.read_handwritten())
    if args.command == "build":
        touched = transform.write(outputs)
        print(f"{len(outputs)} files, {len(touched)} written or removed")
        return 0
    wrong = transform.differences(outputs)
    for path in wrong:
        print(f"out of date: resource_types/{path}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
