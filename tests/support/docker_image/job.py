"""A run-to-completion job (webServerMode=false) for the Docker driver tests: reads the event
from FC_EVENT_PATH, prints the result on stdout, exits with the code the event asks for."""

import json
import os
import sys

with open(os.environ["FC_EVENT_PATH"], "rb") as handle:
    event = json.loads(handle.read() or b"{}")
sys.stderr.write(f"job log line for {os.environ.get('FC_REQUEST_ID')}\n")
print(json.dumps({"doubled": event.get("n", 0) * 2, "request": os.environ.get("FC_REQUEST_ID")}))
sys.exit(int(event.get("exit", 0)))
