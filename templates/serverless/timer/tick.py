"""Runs on a schedule: FC passes the timer event (triggerName, triggerTime, payload) as JSON."""

import json


def handler(event, context):
    timer = json.loads(event)
    payload = json.loads(timer.get("payload") or "{}")
    print(f"tick {timer['triggerName']} at {timer['triggerTime']}: job {payload.get('job')}")
    return json.dumps({"job": payload.get("job"), "trigger": timer["triggerName"]})
