"""Called with FC's OSS event ({"events": [{eventName, oss: {bucket, object}}]}) for each upload."""

import json


def handler(event, context):
    records = json.loads(event)["events"]
    seen = []
    for record in records:
        key = record["oss"]["object"]["key"]
        bucket = record["oss"]["bucket"]["name"]
        print(f"{record['eventName']} oss://{bucket}/{key} ({record['oss']['object'].get('size')} bytes)")
        seen.append(key)
    return json.dumps({"objects": seen})
