"""SLS's errors: an HTTP status and a JSON body ``{"errorCode", "errorMessage"}``.

Why 4xx for every expected failure: the official SDK retries any 5xx ten times, a second apart,
so a twin that answered a mistake with a 5xx would make a caller wait ten seconds for it. Codes and
statuses follow SLS's error-code list
(https://www.alibabacloud.com/help/en/sls/developer-reference/error-codes).
"""

from __future__ import annotations


class SlsError(Exception):
    """An error answer; raise it anywhere below the API."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def project_not_exist(project: str) -> SlsError:
    return SlsError(404, "ProjectNotExist", f"The Project does not exist : {project}")


def logstore_not_exist(project: str, logstore: str) -> SlsError:
    return SlsError(404, "LogStoreNotExist", f"logstore {logstore} does not exist in project {project}")


def index_not_exist(logstore: str) -> SlsError:
    return SlsError(404, "IndexConfigNotExist", f"index config of logstore {logstore} does not exist")


def parameter_invalid(message: str) -> SlsError:
    return SlsError(400, "ParameterInvalid", message)


def post_body_invalid(message: str) -> SlsError:
    return SlsError(400, "PostBodyInvalid", message)


def unauthorized(message: str) -> SlsError:
    return SlsError(401, "Unauthorized", message)
