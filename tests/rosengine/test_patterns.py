"""rosengine.patterns: Python's pattern dialect, matched by RE2 (linear in the text)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from rosengine.patterns import MAX_PATTERN_WEIGHT, CompiledPattern, PatternError, compile_pattern

# (pattern, text) pairs whose answer must be Python's (re is safe on these: no nested quantifiers)
SAME_AS_PYTHON = [
    (r"^[a-z]+$", "abc"),
    (r"^[a-z]+$", "ab1"),
    (r"\d+", "١٢٣"),  # Arabic-Indic digits are \d in Python (RE2's \d is ASCII)
    (r"(?a)\d+", "١٢٣"),
    (r"\w+", "héllo_1"),
    (r"\w+", "中文"),
    (r"\W", "é"),
    (r"\s", "\x0b"),  # vertical tab: Python's \s, not RE2's
    (r"\s", "\u3000"),
    (r"\S+", "a\xa0"),
    (r"[\w.-]+", "a.b-c"),
    (r"[a\W]", "a"),
    (r"[a\W]", "b"),
    (r"[a\W]", "!"),
    (r"[^\d]", "a"),
    (r"[^\d]", "7"),
    (r"\D", "5"),
    (r"a\Z", "a"),
    (r"a{,3}", "aaa"),
    (r"a{,3}", "aaaa"),
    (r"\u4e00+", "一一"),
    (r"\x41\101\0", "AA\x00"),
    (r"(?i)ABC", "abc"),
    (r"(?x) a b # a comment", "ab"),
    (r"(?i:a)B", "AB"),
    (r"(?i:a)B", "Ab"),
    (r"a.b", "a\nb"),
    (r"(?s)a.b", "a\nb"),
    (r"(?P<name>ab)+", "abab"),
    (r"(?:ab|cd){2,3}?", "abcd"),
    (r"[]a]", "]"),
    (r"[\[\]]+", "[]"),
    (r"^(\d{1,3}\.){3}\d{1,3}$", "10.0.0.1"),
    (r"^[a-zA-Z0-9\u4e00-\u9fa5][-a-zA-Z0-9\u4e00-\u9fa5]{0,62}$", "中文-abc"),
    (r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[!@#$%^&*()_+\-=]).{8,32}$", "Passw0rd!"),
    (r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[!@#$%^&*()_+\-=]).{8,32}$", "passw0rd!"),
    (r"^(?=.*[a-z])((?=.*[!@])|(?=.*[_.]))[a-z!@_.]{4,}$", "ab_c"),
    (r"^(?=.*[a-z])((?=.*[!@])|(?=.*[_.]))[a-z!@_.]{4,}$", "abcd"),
    (r"^(?!dbo\b|admin\b)([a-zA-Z][a-zA-Z0-9_]{0,30}[a-zA-Z0-9])$", "admin"),
    (r"^(?!dbo\b|admin\b)([a-zA-Z][a-zA-Z0-9_]{0,30}[a-zA-Z0-9])$", "admins"),
    (r"^[a-zA-Z](?=.*[a-zA-Z])(?=.*[0-9])[A-Za-z\d!@#]{7,31}$", "aBcdefg1"),
    (r"^[a-zA-Z](?=.*[a-zA-Z])(?=.*[0-9])[A-Za-z\d!@#]{7,31}$", "1Bcdefgh"),
    (r"^[a-zA-Z](?=.*[a-zA-Z])(?=.*[0-9])[A-Za-z\d!@#]{7,31}$", "aBcdefgh"),
    (r"a(?=b)", "ab"),
    (r"a(?=b)b", "ab"),
    (r"é(?!x)\w", "éy"),
    (r"((a{2}){3}){200}", "a" * 1200),  # nested counts over RE2's product limit: unrolled
    (r"((a{2}){3}){200}", "a" * 1201),
    ("x", "\ud800x"),  # a lone surrogate (JSON "\ud800") is text, not a crash
]


@pytest.mark.parametrize(("pattern", "text"), SAME_AS_PYTHON)
def test_fullmatch_answers_as_python_does(pattern, text):
    assert compile_pattern(pattern).fullmatch(text) is (re.fullmatch(pattern, text) is not None)


@pytest.mark.parametrize(
    ("pattern", "text"), [(p, t) for p, t in SAME_AS_PYTHON if "(?=" not in p and "(?!" not in p]
)
def test_search_answers_as_python_does(pattern, text):
    assert compile_pattern(pattern).search(text) is (re.search(pattern, text) is not None)


def test_catastrophic_patterns_answer_in_linear_time():
    # each of these takes Python's re longer than the age of the universe on these texts
    assert compile_pattern(r"(a+)+$").fullmatch("a" * 100_000 + "!") is False
    assert compile_pattern(r"(a|aa)+$").search("a" * 100_000 + "!") is False
    assert compile_pattern(r"(\w+\s?)*$").fullmatch("word " * 20_000 + "!") is False


def test_dollar_matches_only_at_the_very_end():
    """Python's $ also matches before a final newline (how "name\\n" passed a name check)."""
    assert compile_pattern(r"^[a-z]+$").search("name\n") is False
    assert compile_pattern(r"^[a-z]+$").search("name") is True


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "back references"),
        (r"(?P<x>a)(?P=x)", "back references"),
        (r"(a)?(?(1)b|c)", "conditional"),
        (r"(?<=a)b", "lookbehind"),
        (r"a+(?=b)", "fixed-width start"),
        (r"^\d(?=a)\d(?=b)", "lookahead is supported only"),
        (r"a*+", "possessive"),
        (r"(?>a)", "atomic"),
        (r"a{2000}", "above 1000"),
        (r"[^\W\d]", "negated class"),
        (r"[", "unterminated character set"),
        ("(" * 500 + ")" * 500, "nest too deeply"),
        (r"((((a{9}){9}){9}){9}){9}", "too large"),
    ],
)
def test_what_needs_a_backtracking_engine_or_is_invalid_is_a_pattern_error(pattern, reason):
    with pytest.raises(PatternError) as caught:
        compile_pattern(pattern)
    assert reason in str(caught.value)
    assert caught.value.pattern == pattern
    assert isinstance(caught.value, ValueError)


def test_a_heavy_bounded_repetition_is_relaxed_to_its_lower_bound_and_says_so():
    address = r"((25[0-5]|2[0-4]\d|1\d{2}|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d{2}|[1-9]?\d)"
    compiled = compile_pattern(rf"^{address}(,{address}){{0,999}}$")
    assert compiled.relaxed == ("{0,999}",)
    assert compiled.fullmatch(",".join(["10.0.0.1"] * 999)) is True
    assert compiled.fullmatch("10.0.0.256") is False


def test_lookahead_patterns_need_an_anchor_to_be_searched():
    with pytest.raises(PatternError, match="only after"):
        compile_pattern(r"(?=.*\d)[a-z\d]+").search("abc1")
    assert compile_pattern(r"(?=.*\d)[a-z\d]+").fullmatch("abc1") is True


def test_compiled_patterns_are_cached_and_describe_themselves():
    first = compile_pattern(r"^\d+$")
    assert compile_pattern(r"^\d+$") is first
    assert isinstance(first, CompiledPattern) and first.pattern == r"^\d+$"
    assert r"\p{Nd}" in first.translated
    assert MAX_PATTERN_WEIGHT > 1000


CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared template corpus is not next to this checkout")
def test_every_allowed_pattern_of_the_corpus_compiles_and_agrees_with_its_own_default():
    import yaml

    patterns: set[tuple[str, str | None]] = set()
    for path in CORPUS.rglob("*"):
        if path.suffix not in (".yml", ".yaml", ".json") or not path.is_file():
            continue
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        parameters = data.get("Parameters") if isinstance(data, dict) else None
        for spec in (parameters or {}).values() if isinstance(parameters, dict) else ():
            if isinstance(spec, dict) and isinstance(spec.get("AllowedPattern"), str):
                default = spec.get("Default")
                patterns.add((spec["AllowedPattern"], default if isinstance(default, str) else None))
    assert len(patterns) > 50
    for pattern, default in patterns:
        compiled = compile_pattern(pattern)
        if default is not None:
            assert compiled.fullmatch(default) is (re.fullmatch(pattern, default) is not None), pattern


def test_pythons_warnings_about_its_future_syntax_do_not_escape():
    """``[[`` makes Python warn of a future change; for a template author it is noise (and an
    error where warnings are errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compile_pattern(r"[[a]+").fullmatch("[a[") is True
