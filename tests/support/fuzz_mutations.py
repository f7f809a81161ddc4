"""Hypothesis strategies that turn corpus templates into hostile variants.

Two layers, like the attacks of issue 17: *tree* mutations on the loaded data (a node replaced by a
hostile value, wrapped in functions, copied elsewhere, removed; resources with huge ``Count``;
parameters with backtracking patterns), written out as JSON or YAML; then *text* mutations on the
written text (characters flipped, hostile YAML snippets inserted, spans repeated or cut, alias
chains, deep brackets). Large values are built from small draws (a length and a character), so
Hypothesis's choice buffer stays small while cases reach the size limits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from random import Random
from typing import Any

from hypothesis import strategies as st

from tests.support.corpus import CORPUS


@dataclass(frozen=True)
class Source:
    name: str
    text: str
    data: Any  # the loaded template (functions as one-key mappings), or None when it does not load


@dataclass(frozen=True)
class Case:
    text: str
    suffix: str
    source: str
    steps: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.source} + {', '.join(self.steps) or 'no mutation'} ({len(self.text):,} characters)"


@cache
def sources() -> tuple[Source, ...]:
    """Every corpus template, read and loaded once per process."""
    from rosengine.errors import TemplateErrors
    from rosengine.template import load_template

    found: list[Source] = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in (".yml", ".yaml", ".json") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            data: Any = load_template(text, filename=path.name).data
        except TemplateErrors as errors:
            data = errors.partial.data if errors.partial is not None else None
        found.append(Source(str(path.relative_to(CORPUS)), text, data))
    return tuple(found)


# ---- hostile values ------------------------------------------------------------------------------

FUNCTIONS = (
    "Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Split", "Fn::Select", "Fn::Replace", "Fn::Base64",
    "Fn::Base64Encode", "Fn::Base64Decode", "Fn::Str", "Fn::Indent", "Fn::FindInMap", "Fn::GetAZs",
    "Fn::If", "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Fn::Contains", "Fn::Any",
    "Fn::EachMemberIn", "Fn::MatchPattern", "Fn::Index", "Fn::Length", "Fn::ListMerge",
    "Fn::GetJsonValue", "Fn::MergeMapToList", "Fn::SelectMapList", "Fn::Add", "Fn::Avg",
    "Fn::Calculate", "Fn::Max", "Fn::Min", "Fn::Jq", "Fn::FormatTime", "Fn::MarketplaceImage",
    "Fn::GetStackOutput", "Fn::Cidr", "Fn::MemberListToMap", "Fn::MergeMap", "Fn::Bogus",
)  # fmt: skip
PATTERNS = (
    "(a+)+$", "(a|aa)+$", "(.*a){25}", "^(\\w+\\s?)*$", "(a)\\1", "(?<=a)b", "[", "a{2000}",
    "((a{9}){9}){9}", "^(?=.*\\d)(?=.*[a-z]).{8,}$", "(?x) a # b", "[^\\W\\d]", "\\p{L}", "(?i)é+",
)  # fmt: skip
# Arguments that probe one function each: sizes, shapes and numbers at and past the edges.
SPECIAL_CALLS: tuple[tuple[str, Any], ...] = (
    ("Fn::Cidr", ["10.0.0.0/8", 257, 24]),
    ("Fn::Cidr", ["::/0", 2, 200]),
    ("Fn::Cidr", ["10.0.0.0/8", 256, -1]),
    ("Fn::FormatTime", ["%c" * 40_000, "Asia/Shanghai"]),
    ("Fn::FormatTime", ["%Y", "../../etc/passwd"]),
    ("Fn::FormatTime", ["%Y", "\x00" * 300]),
    ("Fn::Select", ["9" * 5000, [1]]),
    ("Fn::Select", ["1:2:" + "9" * 5000, [1]]),
    ("Fn::Select", [0, "[" * 5000 + "]" * 5000]),
    ("Fn::GetJsonValue", ["a", "[" * 100_000]),
    ("Fn::GetJsonValue", ["a", '{"a": ' * 2000 + "1" + "}" * 2000]),
    ("Fn::Calculate", ["(" * 5000 + "1" + ")" * 5000, 0]),
    ("Fn::Calculate", ["*".join(["9" * 4000] * 20), 0]),
    ("Fn::Calculate", ["1/0", 0]),
    ("Fn::Calculate", ["{0}+{1}", 10**9, [1e308, 1e308]]),
    ("Fn::Avg", [-(10**9), [1.5, 2]]),
    ("Fn::Indent", ["a\n" * 50_000, 20, 4]),
    ("Fn::MergeMapToList", [{"k": list(range(5000))}, {"j": list(range(3))}]),
    ("Fn::Base64Decode", ["=" * 100_000]),
    ("Fn::Base64Decode", ["_-" * 1000 + "\u00e9"]),
    ("Fn::Split", [",", "," * 300_000]),
    ("Fn::Replace", [{"": "x"}, "abc"]),
    ("Fn::Sub", ["${" + "a." * 50_000 + "}", {}]),
    ("Fn::Sub", ["${!" * 50_000, {"a": [1, {"b": None}]}]),
    ("Fn::MemberListToMap", ["Name", "Value", [".member." + "1" * 5000 + ".Name=x"]]),
    ("Fn::Str", [10**4000]),
    ("Fn::Add", [[1] * 100, [2] * 100]),
    ("Fn::Add", [10**4000, 10**4000]),
    ("Fn::Max", ["nan", "inf", "-inf"]),
    ("Fn::Length", "x" * 300_000),
    ("Fn::Index", [{"a": 1}, [{"a": 1.0}] * 1000]),
    ("Fn::EachMemberIn", [[float("nan")] * 100, [float("nan")] * 100]),
    ("Fn::MatchPattern", ["(?i)" + "a?" * 500 + "a" * 500, "a" * 500]),
    ("Fn::If", ["Missing", 1, 2]),
    ("Fn::FindInMap", ["M", {"Ref": "ALIYUN::Region"}, "k"]),
    ("Fn::GetAZs", "x" * 10_000),
    ("Fn::GetStackOutput", ["s", "o", "r" * 1000]),
    ("Fn::Jq", ["All", "[range(1e6)]", "{}"]),
    ("Fn::Jq", ["First", ".", "[" * 10_000 + "]" * 10_000]),
)
PARAMETER_SHAPES: tuple[dict[str, Any], ...] = (
    {"Type": "Json", "Default": "[" * 3000 + "]" * 3000},
    {"Type": "Json", "Default": {"a": [1] * 1000}, "MaxLength": 2},
    {"Type": "CommaDelimitedList", "Default": "," * 100_000},
    {"Type": "Number", "Default": "9" * 5000},
    {"Type": "Number", "Default": "1e999", "MinValue": "-inf", "MaxValue": "nan"},
    {"Type": "String", "Default": "x" * 300_000, "MinLength": 10**40, "AllowedValues": ["x"] * 1000},
    {"Type": "Boolean", "Default": "maybe"},
    {"Type": "ALIYUN::OOS::Parameter::Value", "Default": "p" * 10_000},
    {"Type": "String", "NoEcho": "tru", "Confirm": [1], "Label": {"x": [None]}},
    {"Type": "String", "AllowedPattern": "(?P<n>a)(?P=n)", "Default": "aa"},
)
# A well-formed entry of each section, repeated to reach the section limits.
SECTION_ENTRIES: dict[str, Any] = {
    "Parameters": {"Type": "String", "Default": "x"},
    "Resources": {"Type": "ALIYUN::ROS::WaitConditionHandle"},
    "Outputs": {"Value": {"Fn::Join": ["-", ["a", {"Ref": "ALIYUN::Region"}]]}},
    "Conditions": {"Fn::Equals": ["a", "b"]},
    "Rules": {"Assertions": [{"Assert": {"Fn::Equals": ["a", "a"]}}]},
    "Locals": {"Value": "x"},
    "Mappings": {"k": {"v": 1}},
}
JQ_PROGRAMS = (".", ".a", "def f: f; f", "[range(1e9)]", "[limit(100000; repeat(1))]", ".[", 'error("x")')
PSEUDO = ("ALIYUN::StackName", "ALIYUN::Region", "ALIYUN::Index", "ALIYUN::NoValue", "ALIYUN::AccountId")
HOSTILE_TEXT = ":[]{}!&*'\"\n\t#%@`|>-, \\$\x00\ud800é中\u2028"
SNIPPETS = (
    "Description: !!bool maybe\n", "x: &a [1, 2]\ny: *a\n", "<<: *nowhere\n", "A: [unclosed\n",
    "B: {unclosed: 1\n", "!Ref\n", "C: !Sub\n", "- ", "{", '"\\u', "%YAML 1.1\n---\n", "---\n",
    "D: !!int 1:2:3:4:5:6:7:8:9\n", "E: !!binary aGk=\n", "? [a]\n: b\n", "\ufeff", "F: !Base64 !Sub x\n",
    "G: !!python/object:os.system x\n", "H: &h !GetAtt a.b.c\n", "I: .nan\n", "J: 0x" + "f" * 40 + "\n",
    "K: 2015-09-01\n", "L: ~\n", "M: !!float .inf\n", "N: >\n  folded\n", "O: |-\n  block\n",
)  # fmt: skip


def _big_text(draw: st.DrawFn) -> str:
    length = draw(st.sampled_from((0, 1, 100, 10_000, 100_000, 300_000)))
    return draw(st.sampled_from(("x", "${", "\n", "a", " ", "é", "[", ".member.1."))) * (length // 2 + 1)


def _names(data: Any) -> list[str]:
    names = list(PSEUDO)
    if isinstance(data, dict):
        for section in ("Parameters", "Resources", "Conditions", "Mappings", "Locals"):
            if isinstance(data.get(section), dict):
                names += list(data[section])[:50]
    return names


@st.composite
def hostile_value(draw: st.DrawFn, names: list[str], depth: int = 0) -> Any:
    kind = draw(st.integers(0, 9 if depth < 3 else 4))
    if kind == 0:
        return draw(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12)))
    if kind == 1:
        return _big_text(draw)
    if kind == 2:
        return 10 ** draw(st.sampled_from((1, 20, 300, 4000))) - draw(st.integers(0, 1))
    if kind == 3:
        return {"Ref": names[draw(st.integers(0, len(names) - 1))]}
    if kind == 4:
        nested: Any = draw(st.sampled_from(("x", 1, None)))
        for _ in range(draw(st.sampled_from((1, 10, 60, 120)))):
            nested = [nested] if draw(st.booleans()) else {"k": nested}
        return nested
    if kind == 5:
        name, args = SPECIAL_CALLS[draw(st.integers(0, len(SPECIAL_CALLS) - 1))]
        return {name: args}
    if kind in (6, 7):
        name = draw(st.sampled_from(FUNCTIONS))
        count = draw(st.integers(0, 4))
        args = [draw(hostile_value(names, depth + 1)) for _ in range(count)]
        if name == "Fn::Jq":
            args = [draw(st.sampled_from(("First", "All"))), draw(st.sampled_from(JQ_PROGRAMS)), "{}"]
        elif name == "Fn::MatchPattern":
            args = [draw(st.sampled_from(PATTERNS)), "a" * draw(st.integers(0, 40)) + "!"]
        return {name: args[0] if count == 1 and draw(st.booleans()) else args}
    if kind == 8:
        return [draw(hostile_value(names, depth + 1)) for _ in range(draw(st.integers(0, 5)))]
    return {
        draw(st.text(max_size=8)): draw(hostile_value(names, depth + 1))
        for _ in range(draw(st.integers(0, 4)))
    }


# ---- tree mutations --------------------------------------------------------------------------------


def _pick_path(rnd: Random, data: Any) -> list[Any]:
    """A random path to a node: at least a field of a section's entry (a section, an entry or the
    template replaced only tests the structure checks), then often shallow, sometimes deep."""
    path: list[Any] = []
    node = data
    while isinstance(node, dict | list) and node and (len(path) < 3 or rnd.randrange(4) != 0):
        # an index, not sampled_from (which hashes every choice); at the top, sections only
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not path and isinstance(node, dict):
            keys = [key for key in keys if isinstance(node[key], dict | list) and node[key]] or keys
        key = keys[rnd.randrange(len(keys))]
        path.append(key)
        node = node[key]
    return path


def _get(data: Any, path: list[Any]) -> Any:
    for key in path:
        data = data[key]
    return data


def _copied(node: Any) -> Any:
    return dict(node) if isinstance(node, dict) else list(node)


def _set(data: Any, path: list[Any], value: Any) -> Any:
    """A new root with ``value`` at ``path``: only the containers on the path are copied, so the
    corpus data (shared by every case) is never changed."""
    if not path:
        return value
    root = _copied(data)
    node = root
    for key in path[:-1]:
        node[key] = _copied(node[key])
        node = node[key]
    node[path[-1]] = value
    return root


def _delete(data: Any, path: list[Any]) -> Any:
    parent = _set(data, path[:-1], _copied(_get(data, path[:-1])))
    del _get(parent, path[:-1])[path[-1]]
    return parent


def _section(data: dict[str, Any], name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A copy of the root with its own copy of section ``name`` (None when it is not a mapping)."""
    root = dict(data)
    section = root.get(name, {})
    if not isinstance(section, dict):
        return root, None
    root[name] = dict(section)
    return root, root[name]


# Copies of a node that a mutation writes out are capped to about this many characters together:
# a case bigger than ROS's 512 KB only tests the size check, and generating gigabytes tests nothing.
_COPIES_CHARACTERS = 2_000_000


def _copies(draw: st.DrawFn, node: Any, choices: tuple[int, ...]) -> int:
    size = len(json.dumps(node, default=str)) + 1
    return max(1, min(draw(st.sampled_from(choices)), _COPIES_CHARACTERS // size))


def _wrap(draw: st.DrawFn, node: Any) -> Any:
    shape = draw(st.integers(0, 6))
    if shape == 0:
        for _ in range(draw(st.sampled_from((1, 5, 30, 70)))):
            node = {draw(st.sampled_from(("Fn::Base64", "Fn::Base64Encode", "Fn::Str", "Fn::Length"))): node}
        return node
    if shape == 1:
        return {"Fn::Join": ["", [node] * _copies(draw, node, (2, 10, 100, 1000))]}
    if shape == 2:
        return {"Fn::Replace": [{"a": "b" * draw(st.sampled_from((1, 100, 10_000)))}, node]}
    if shape == 3:
        return {
            "Fn::Select": [
                draw(st.sampled_from(("0", "1:", " " * 500 + ":" + " " * 500 + "x", "-1", "99"))),
                node,
            ]
        }
    if shape == 4:
        return {"Fn::Sub": [_big_text(draw), {"V": node}]}
    if shape == 5:
        return {"Fn::If": [draw(st.text(max_size=6)), node, {"Ref": "ALIYUN::NoValue"}]}
    return {"Fn::ListMerge": [node] * _copies(draw, node, (2, 50, 500))}


@st.composite
def tree_mutation(draw: st.DrawFn, data: Any, rnd: Random) -> tuple[Any, str]:
    names = _names(data)
    kind = draw(
        st.sampled_from(
            (
                "replace",
                "wrap",
                "copy",
                "delete",
                "count",
                "pattern",
                "parameter",
                "sections",
                "output",
                "property",
            )
        )
    )
    path = _pick_path(rnd, data)
    if kind == "replace":
        return _set(data, path, draw(hostile_value(names))), f"replace {path[:4]}"
    if kind == "wrap":
        return _set(data, path, _wrap(draw, _get(data, path))), f"wrap {path[:4]}"
    if kind == "copy":
        target = _pick_path(rnd, data)
        return _set(data, target, _get(data, path)), f"copy {path[:3]} to {target[:3]}"
    if kind == "delete" and path:
        return _delete(data, path), f"delete {path[:4]}"
    if not isinstance(data, dict):
        return data, "nothing (not a mapping)"
    if kind == "count":
        data, resources = _section(data, "Resources")
        if resources is not None:
            count = draw(
                st.one_of(
                    st.sampled_from((0, 1, 300, 301, 3_000_000, 10**30, -1, "5", 1.5)), hostile_value(names)
                )
            )
            resources[f"R{draw(st.integers(0, 9))}"] = {
                "Type": draw(st.sampled_from(("ALIYUN::ROS::WaitConditionHandle", "ALIYUN::FC::Function"))),
                "Count": count,
                "Properties": {"Name": {"Fn::Sub": "n-${ALIYUN::Index}"}},
            }
        return data, "count"
    if kind == "pattern":
        data, parameters = _section(data, "Parameters")
        if parameters is not None:
            parameters[f"P{draw(st.integers(0, 9))}"] = {
                "Type": "String",
                "AllowedPattern": draw(st.sampled_from(PATTERNS)),
                "Default": "a" * draw(st.sampled_from((0, 33, 5000))) + "!",
            }
        return data, "pattern"
    if kind == "output":  # a value that is certainly evaluated
        data, outputs = _section(data, "Outputs")
        if outputs is not None:
            value = draw(hostile_value(names))
            outputs[f"Fuzz{draw(st.integers(0, 3))}"] = {
                "Value": _wrap(draw, value) if draw(st.booleans()) else value
            }
        return data, "output"
    if kind == "property":  # a property of a live resource: evaluated, then schema-checked
        data, resources = _section(data, "Resources")
        live = [name for name, resource in (resources or {}).items() if isinstance(resource, dict)]
        if resources is not None and live:
            name = live[rnd.randrange(len(live))]
            resource = dict(resources[name])
            properties = resource.get("Properties")
            properties = dict(properties) if isinstance(properties, dict) else {}
            keys = list(properties) or ["Fuzz"]
            properties[keys[rnd.randrange(len(keys))]] = draw(hostile_value(names))
            resource["Properties"] = properties
            resources[name] = resource
        return data, "property"
    if kind == "parameter":
        data, parameters = _section(data, "Parameters")
        if parameters is not None:
            parameters[f"Q{draw(st.integers(0, 3))}"] = PARAMETER_SHAPES[
                draw(st.integers(0, len(PARAMETER_SHAPES) - 1))
            ]
        return data, "parameter"
    section = draw(
        st.sampled_from(("Parameters", "Resources", "Outputs", "Conditions", "Rules", "Locals", "Mappings"))
    )
    size = draw(st.sampled_from((0, 1, 201, 301, 2000)))
    entry = SECTION_ENTRIES[section]
    data = dict(data)
    data[section] = {f"E{i}": draw(hostile_value(names, 3)) for i in range(min(size, 3))} | {
        f"F{i}": entry for i in range(size)
    }
    return data, f"section {section} x{size}"


def _yaml_lines(node: Any, indent: str, out: list[str]) -> None:
    """Block-style YAML with JSON-quoted scalars (valid YAML, and ten times faster than PyYAML's
    representer, which dominated the cost of a case)."""
    items = node.items() if isinstance(node, dict) else ((None, item) for item in node)
    for key, value in items:
        lead = f"{indent}{json.dumps(str(key))}:" if isinstance(node, dict) else f"{indent}-"
        if isinstance(value, dict | list) and value:
            out.append(lead)
            _yaml_lines(value, indent + "  ", out)
        else:
            out.append(f"{lead} {json.dumps(value)}")


def _dump(data: Any, as_yaml: bool) -> tuple[str, str]:
    try:
        if as_yaml and isinstance(data, dict | list) and data:
            lines: list[str] = []
            _yaml_lines(data, "", lines)
            return "\n".join(lines) + "\n", ".yml"
        return json.dumps(data, ensure_ascii=False, indent=1), ".json"
    except (RecursionError, ValueError, TypeError):
        return json.dumps({"ROSTemplateFormatVersion": "2015-09-01"}), ".json"


# ---- text mutations --------------------------------------------------------------------------------


@st.composite
def text_mutation(draw: st.DrawFn, text: str, rnd: Random) -> tuple[str, str]:
    kind = draw(
        st.sampled_from(("flip", "snippet", "cut", "repeat", "truncate", "aliases", "brackets", "number"))
    )
    at = rnd.randint(0, len(text))  # uniform: Hypothesis favours small integers (the first line)
    if kind == "flip":
        return text[:at] + draw(st.sampled_from(HOSTILE_TEXT)) + text[at + 1 :], "flip"
    if kind == "snippet":
        line = text.rfind("\n", 0, at) + 1
        indent = " " * draw(st.sampled_from((0, 0, 2, 4)))
        return text[:line] + indent + draw(st.sampled_from(SNIPPETS)) + text[line:], "snippet"
    if kind == "cut":
        return text[:at] + text[at + draw(st.integers(0, 2000)) :], "cut"
    if kind == "repeat":
        span = text[at : at + draw(st.integers(1, 2000))]
        times = min(draw(st.sampled_from((2, 10, 200))), _COPIES_CHARACTERS // (len(span) + 1) + 1)
        return text[:at] + span * times + text[at:], "repeat"
    if kind == "truncate":
        return text[:at], "truncate"
    if kind == "aliases":
        width = draw(st.integers(2, 12))
        levels = draw(st.integers(1, 12))
        lines = ["AliasBomb:", "  l0: &l0 [" + ", ".join(["x"] * width) + "]"]
        for level in range(1, levels):
            lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
        lines.append(f"  use: !Join ['', *l{levels - 1}]")
        return text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", f"aliases {width}^{levels}"
    if kind == "brackets":
        return text[:at] + draw(st.sampled_from(("[", "{", "- ", "!Ref "))) * draw(
            st.sampled_from((10, 200, 5000))
        ) + text[at:], "brackets"
    digits = draw(st.sampled_from((10, 4300, 4301, 9000)))
    return text[:at] + "1" * digits + text[at:], f"number {digits}"


@st.composite
def mutated_templates(draw: st.DrawFn) -> Case:
    """A corpus template, mutated in its data and/or its text (each case 1–5 mutations)."""
    corpus = sources()
    rnd = draw(st.randoms(use_true_random=False))  # positions and picks: uniform, still replayable
    source = corpus[rnd.randrange(len(corpus))]
    steps: list[str] = []
    text, suffix = source.text, Path(source.name).suffix
    if source.data is not None and draw(st.booleans()):
        data = source.data  # never changed: mutations copy the containers they touch
        for _ in range(draw(st.integers(1, 3))):
            data, step = draw(tree_mutation(data, rnd))
            steps.append(step)
        text, suffix = _dump(data, draw(st.booleans()))
    for _ in range(draw(st.sampled_from((0, 0, 1)) if steps else st.integers(1, 2))):
        text, step = draw(text_mutation(text, rnd))
        steps.append(step)
    return Case(text, suffix, source.name, tuple(steps))
