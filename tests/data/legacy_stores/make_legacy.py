"""Databases as the code before the shared SQLite layer wrote them (run on the base tree)."""
import importlib.util, sys, time
from pathlib import Path
out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
for f in out.glob("*"): f.unlink()
from fcbackend.store import MetadataStore, InvocationRecorder
from fcbackend.models import FunctionSpec, InvocationResult
from fcbackend.asyncq import AsyncStore, AsyncSubmission
from fcbackend.asyncq.records import TaskStatus
from fcbackend.triggers.timer import TimerState
from rosengine.state import SqliteStateStore, StackRecord, ResourceRecord, EventRecord, OutputRecord, ChangeSetRecord

# fc.db (metadata + invocation_log)
meta = MetadataStore(out / "fc.db")
meta.put("service", "", "svc", {"serviceName": "svc", "description": "legacy"})
meta.put("function", "svc", "fn", {"functionName": "fn", "runtime": "python3.10", "handler": "index.handler"})
meta.put("version", "svc", "1", {"versionId": "1"}, sort_key="0000000001")
assert meta.next_id("version:svc") == 1
assert meta.next_id("version:svc") == 2
meta.execute("INSERT OR REPLACE INTO blobs (sha256, checksum, size) VALUES (?,?,?)", ("ab" * 32, "123", 42))
rec = InvocationRecorder(meta, out / "logs")
spec = FunctionSpec(service="svc", function="fn", version_id="1", qualifier="LATEST", handler="index.handler", code_dir=Path("/tmp"), runtime="python3.10")
for i in range(3):
    rec.record(spec, InvocationResult(request_id=f"req-{i}", status=200, body=b"", duration_ms=1.5 + i))
rec.flush()
meta.close()
import shutil; shutil.rmtree(out / "logs", ignore_errors=True)

# fc.db of the layout before invocation_log (table invocations)
spec0 = importlib.util.spec_from_file_location("old_db_v0", "sys.argv[2]")
mod = importlib.util.module_from_spec(spec0); spec0.loader.exec_module(mod)
m0 = mod.MetadataStore(out / "fc-invocations.db")
m0.put("service", "", "svc", {"serviceName": "svc"})
for i in range(3):
    m0.execute("INSERT INTO invocations (request_id, time, service, function, qualifier, version, instance_id, cold, init_ms, duration_ms, memory_mb, status, error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (f"old-{i}", 1700000000.0 + i, "svc", "fn", "LATEST", "1", "inst", 0, None, 2.0, 30.0, 200, None))
m0.close()

# async.db
store = AsyncStore(out / "async.db")
subs = [AsyncSubmission("task-done", "req-done", "svc", "fn", payload=b"{}", stateful=True),
        AsyncSubmission("plain-running", "req-running", "svc", "fn", payload=b"hello"),
        AsyncSubmission("plain-queued", "req-queued", "svc", "fn", payload=b"later", delay_s=3600)]
assert store.insert_many(subs, 1700000000.0) == [True, True, True]
run, _ = store.claim_due(1700000001.0, 2)
assert {e.invocation_id for e in run} == {"task-done", "plain-running"}
done = next(e for e in run if e.invocation_id == "task-done")
store.finish(done, TaskStatus.SUCCEEDED, 1700000002.0, return_payload=b"ok", instance_id="i-1", duration_ms=3.0, version_id="1")
store.record_delivery("task-done", "Success", "acs:fc:cn-hangzhou:1:services/svc/functions/dest", {"x": 1}, 1700000002.5)
store.close()

# timers.db
timers = TimerState(out / "timers.db")
timers.set("svc/fn/every-minute", 1700000040.0)
timers.close()

# state.db (schema_version table, migrations 1-2)
st = SqliteStateStore(out / "state.db")
st.insert_stack(StackRecord(id="stack-1", name="legacy", status="CREATE_COMPLETE", template_body='{"ROSTemplateFormatVersion": "2015-09-01"}', parameters={"P": "v"}, identity={"region": "cn-hangzhou"}))
st.put_resource(ResourceRecord(stack_id="stack-1", logical_id="Fn", type="ALIYUN::FC::Function", status="CREATE_COMPLETE", physical_id="svc|fn", properties={"FunctionName": "fn"}))
st.put_resource(ResourceRecord(stack_id="stack-1", logical_id="Svc", type="ALIYUN::FC::Service", status="CREATE_COMPLETE", physical_id="svc"))
st.add_event(EventRecord(id="ev-1", stack_id="stack-1", stack_name="legacy", logical_id="legacy", physical_id="stack-1", type="ALIYUN::ROS::Stack", status="CREATE_COMPLETE", reason="", time="2024-01-01T00:00:00"))
st.set_outputs("stack-1", [OutputRecord("Arn", "acs:fc:x", "the arn"), OutputRecord("Secret", "s3", no_echo=True)])
st.insert_change_set(ChangeSetRecord(id="cs-1", stack_id="stack-1", stack_name="legacy", name="cs", type="UPDATE"))
st.close()
for f in sorted(out.iterdir()): print(f.name, f.stat().st_size)
