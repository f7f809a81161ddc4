"""The SLS twin's query language and store, below the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from fcbackend.sls.errors import SlsError
from fcbackend.sls.query import compile_query, wildcard_match
from fcbackend.sls.service import LogQuery, SlsService
from fcbackend.sls.store import LogEntry, SqliteSlsStore
from sqlstore import SqliteDatabase

ENTRY = LogEntry(
    time=100,
    fields=(("message", "GET /api/users timeout after 3s"), ("status", "504"), ("functionName", "api")),
    topic="FCLogs:api",
    source="i-1",
    tags=(("host", "web-1"),),
)


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("", True),
        ("*", True),
        ("timeout", True),
        ("TIMEOUT", True),
        ("time*", True),
        ("tim?out", True),
        ("*out", None),
        ('"users timeout"', True),
        ('"timeout users"', False),
        ("status: 504", True),
        ("status:504 and functionName: api", True),
        ("status >= 500", True),
        ("status < 500", False),
        ("status: 504 and not message: users", False),
        ("nothing or timeout", True),
        ("(nothing or timeout) and status: 200", False),
        ('__topic__: "FCLogs:api"', True),
        ("__source__: i-1", True),
        ("__tag__:host: web-1", True),
        ("message: *", True),
        ("missing: *", False),
        ("* | select count(1)", None),
        ("status: (", None),
        ("status >", None),
        ("a and", None),
        ('"open', None),
    ],
)
def test_queries(query: str, matches: bool | None) -> None:
    if matches is None:
        with pytest.raises(SlsError) as caught:
            compile_query(query)
        assert caught.value.code == "ParameterInvalid" and caught.value.status == 400
        return
    assert compile_query(query)(ENTRY, ENTRY.searchable_text()) is matches


def test_sql_is_refused_as_not_emulated() -> None:
    with pytest.raises(SlsError) as caught:
        compile_query("error | select count(*)")
    assert "not emulated" in caught.value.message and "position 7" in caught.value.message


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("a*b", "axxb", True),
        ("a*b", "axxc", False),
        ("*", "", True),
        ("a?c", "abc", True),
        ("a*a*a*b", "a" * 200, False),
    ],
)
def test_wildcards(pattern: str, text: str, expected: bool) -> None:
    assert wildcard_match(pattern, text) is expected


@pytest.fixture
def service(tmp_path: Path) -> SlsService:
    store = SqliteSlsStore(SqliteDatabase(tmp_path / "sls.db"))
    svc = SlsService(store, region="cn-hangzhou", account_id="123")
    svc.create_project("proj", {})
    svc.create_logstore("proj", {"logstoreName": "store"})
    svc.create_index("proj", "store", {"line": {"token": [" "]}})
    return svc


def test_scans_page_through_large_logstores_in_time_order(service: SlsService) -> None:
    entries = [LogEntry(time=1000 + i % 7, fields=(("n", str(i)),)) for i in range(1200)]
    service.put_logs("proj", "store", entries)
    page = service.get_logs("proj", "store", LogQuery(start=1000, end=1007, line=100, offset=1100))
    assert page.processed_rows == 1200 and len(page.logs) == 100
    times = [int(log["__time__"]) for log in page.logs]
    assert times == sorted(times)
    newest = service.get_logs("proj", "store", LogQuery(start=0, end=2000, line=3, reverse=True))
    assert [log["__time__"] for log in newest.logs] == ["1006", "1006", "1006"]
    assert service.get_logs("proj", "store", LogQuery(start=1003, end=1004, line=100)).processed_rows > 0
    with pytest.raises(SlsError):
        service.get_logs("proj", "store", LogQuery(start=10, end=5))


def test_deleting_a_project_deletes_everything_in_it(service: SlsService, tmp_path: Path) -> None:
    service.put_logs("proj", "store", [LogEntry(time=1, fields=(("a", "b"),))])
    service.delete_project("proj")
    service.create_project("proj", {})
    service.create_logstore("proj", {"logstoreName": "store"})
    service.create_index("proj", "store", {"line": {}})
    assert service.get_logs("proj", "store", LogQuery(start=0, end=10)).logs == []
    with pytest.raises(SlsError) as caught:
        service.delete_project("gone")
    assert caught.value.code == "ProjectNotExist"


def test_names_follow_slss_rules(service: SlsService) -> None:
    for name in ("ab", "Upper", "-lead", "trail-", "under_score"):
        with pytest.raises(SlsError):
            service.create_project(name, {})
    for name in ("ab", "Upper", "_lead"):
        with pytest.raises(SlsError):
            service.create_logstore("proj", {"logstoreName": name})
    service.create_logstore("proj", {"logstoreName": "with_under-score"})
