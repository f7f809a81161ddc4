"""The event bodies each trigger source sends to a function, and sample events per type.

Why: a function written for FC parses the exact shape its event source sends. OSS events are
fired for real by the local object store; the other sources have no local service, so ``ros fc
trigger-event`` delivers a sample in that source's shape (overridable with ``--event FILE``).
Shapes follow FC's documented examples; where FC sends a binary encoding (Tablestore streams are
CBOR) we send the same structure as JSON — UNCONFIRMED, chosen so handlers are easy to test.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from fcbackend.clock import utc_iso
from fcbackend.triggers.model import TriggerInfo, lookup
from fcbackend.triggers.timer import timer_event


def oss_event(
    *,
    event_name: str,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    region: str,
    account_id: str,
    when: float,
    source_ip: str = "127.0.0.1",
    request_id: str = "",
    principal_id: str = "",
) -> dict[str, Any]:
    """One OSS notification. ``event_name`` without the ``oss:`` prefix, e.g.
    ``ObjectCreated:PutObject``, as FC delivers it."""
    return {
        "events": [
            {
                "eventName": event_name,
                "eventSource": "acs:oss",
                "eventTime": utc_iso(when),
                "eventVersion": "1.0",
                "oss": {
                    "bucket": {
                        "arn": f"acs:oss:{region}:{account_id}:{bucket}",
                        "name": bucket,
                        "ownerIdentity": account_id,
                        "virtualBucket": "",
                    },
                    "object": {"deltaSize": size, "eTag": etag, "key": key, "size": size},
                    "ossSchemaVersion": "1.0",
                    "ruleId": "local-" + hashlib.md5(bucket.encode()).hexdigest()[:12],
                },
                "region": region,
                "requestParameters": {"sourceIPAddress": source_ip},
                "responseElements": {"requestId": request_id or uuid.uuid4().hex.upper()[:24]},
                "userIdentity": {"principalId": principal_id or account_id},
            }
        ]
    }


def sample_event(trigger: TriggerInfo, *, region: str, account_id: str, now: float) -> bytes:
    """A realistic event for ``trigger`` built from its config."""
    builder = _SAMPLES.get(trigger.type)
    if builder is None:
        raise ValueError(f"trigger type {trigger.type!r} has no sample event")
    return builder(trigger, region, account_id, now)


def _timer(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    payload = t.setting("payload", default="") or ""
    return timer_event(t.name, now, payload if isinstance(payload, str) else json.dumps(payload))


def _oss(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    events = t.setting("events", default=["oss:ObjectCreated:PutObject"]) or ["oss:ObjectCreated:PutObject"]
    name = str(events[0]).removeprefix("oss:").replace("*", "PutObject")
    key_filter = lookup(t.setting("filter", default={}), "key", default={}) or {}
    prefix = lookup(key_filter, "prefix", default="") or ""
    suffix = lookup(key_filter, "suffix", default="") or ".txt"
    key = f"{prefix}sample{suffix}"
    bucket = t.setting("bucketName") or _bucket_from_arn(t.source_arn) or "sample-bucket"
    body = b"hello from rosengine"
    return _dump(
        oss_event(
            event_name=name,
            bucket=bucket,
            key=key,
            size=len(body),
            etag=hashlib.md5(body).hexdigest().upper(),
            region=region,
            account_id=account,
            when=now,
        )
    )


def _log(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    log_config = t.setting("logConfig", default={}) or {}
    source = t.setting("sourceConfig", default={}) or {}
    return _dump(
        {
            "parameter": t.setting("functionParameter", default={}) or {},
            "source": {
                "endpoint": f"http://{region}-intranet.log.aliyuncs.com",
                "projectName": lookup(log_config, "project", default="sample-project"),
                "logstoreName": lookup(source, "logstore", default="sample-logstore"),
                "shardId": 0,
                "beginCursor": "MTUyOTQ4MDIwOTY1NTk3ODQ2Mw==",
                "endCursor": "MTUyOTQ4MDIwOTY1NTk3ODQ2NA==",
            },
            "jobName": uuid.uuid4().hex,
            "taskId": str(uuid.uuid4()),
            "cursorTime": int(now),
        }
    )


def _mns(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    message = "hello from rosengine"
    if t.setting("notifyContentFormat") == "STREAM":
        return message.encode()
    topic = (t.source_arn or "").rsplit("/", 1)[-1] or "sample-topic"
    return _dump(
        {
            "TopicOwner": account,
            "Message": message,
            "Subscriber": account,
            "PublishTime": int(now * 1000),
            "SubscriptionName": f"fc-{t.name}",
            "MessageMD5": hashlib.md5(message.encode()).hexdigest().upper(),
            "TopicName": topic,
            "MessageId": uuid.uuid4().hex.upper()[:24],
            "MessageTag": t.setting("filterTag", default="") or "",
        }
    )


def _cdn(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    name = t.setting("eventName", default="CachedObjectsRefreshed")
    flt = t.setting("filter", default={}) or {}
    domains = lookup(flt, "domain", default=None) if isinstance(flt, dict) else None
    if domains is None and isinstance(flt, list) and flt:
        domains = [lookup(flt[0], "domain", default="www.example.com")]
    domain = (domains or ["www.example.com"])[0]
    return _dump(
        {
            "events": [
                {
                    "eventName": name,
                    "eventVersion": t.setting("eventVersion", default="1.0.0"),
                    "eventSource": "cdn",
                    "region": region,
                    "eventTime": utc_iso(now),
                    "traceId": uuid.uuid4().hex,
                    "resource": {"domain": domain},
                    "eventParameter": {
                        "domain": domain,
                        "objectPath": ["/index.html"],
                        "objectType": "File",
                        "createTime": int(now),
                        "completeTime": int(now),
                        "taskId": 1,
                    },
                    "userIdentity": {"aliUid": account},
                }
            ]
        }
    )


def _tablestore(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    ts = int(now * 1_000_000)
    return _dump(
        {
            "Version": "Sync-v1",
            "Records": [
                {
                    "Type": "PutRow",
                    "Info": {"Timestamp": ts},
                    "PrimaryKey": [{"ColumnName": "id", "Value": 1}],
                    "Columns": [
                        {"Type": "Put", "ColumnName": "value", "Value": "hello", "Timestamp": ts // 1000}
                    ],
                }
            ],
            "Source": {
                "InstanceName": t.setting("instanceName", default="sample"),
                "TableName": t.setting("tableName", default="sample"),
            },
        }
    )


def _cloud_event(t: TriggerInfo, account: str, now: float, source: str, kind: str, data: Any) -> bytes:
    return _dump(
        {
            "id": str(uuid.uuid4()),
            "source": source,
            "specversion": "1.0",
            "type": kind,
            "datacontenttype": "application/json;charset=utf-8",
            "time": utc_iso(now),
            "subject": f"acs:{source.removeprefix('acs.')}:{t.name}",
            "aliyunaccountid": account,
            "data": data,
        }
    )


def _eventbridge(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    source_type = lookup(
        t.setting("eventSourceConfig", default={}) or {}, "eventSourceType", default="Default"
    )
    return _cloud_event(
        t,
        account,
        now,
        f"acs.{str(source_type).lower()}",
        "eventbridge:Events:Sample",
        {"message": "hello from rosengine"},
    )


def _kafka(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    # Kafka batches arrive as a list of CloudEvents (UNCONFIRMED shape, EventBridge-based).
    one = json.loads(
        _cloud_event(
            t,
            account,
            now,
            "acs:alikafka",
            "alikafka:alikafka:message",
            {
                "topic": t.setting("topic", default="sample-topic"),
                "partition": 0,
                "offset": 0,
                "timestamp": int(now * 1000),
                "headers": {"headers": []},
                "key": "key",
                "value": "hello from rosengine",
            },
        )
    )
    return _dump([one])


def _rds(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    objects = t.setting("subscriptionObjects", default=["db.table"]) or ["db.table"]
    db, _, table = str(objects[0]).partition(".")
    return _cloud_event(
        t,
        account,
        now,
        "acs.rds",
        "rds:DataChange",
        {
            "dbName": db,
            "tableName": table or "table",
            "eventType": "INSERT",
            "recordFields": [{"name": "id", "value": "1"}],
            "timestamp": int(now * 1000),
        },
    )


def _http(t: TriggerInfo, region: str, account: str, now: float) -> bytes:
    return b""  # an http trigger is exercised with a real GET /, not an event body


def _bucket_from_arn(arn: str | None) -> str | None:
    if arn and arn.startswith("acs:oss:"):
        return arn.rsplit(":", 1)[-1] or None
    return None


def _dump(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


_SAMPLES = {
    "timer": _timer,
    "oss": _oss,
    "log": _log,
    "mns_topic": _mns,
    "cdn_events": _cdn,
    "tablestore": _tablestore,
    "eventbridge": _eventbridge,
    "kafka": _kafka,
    "rds": _rds,
    "http": _http,
}
