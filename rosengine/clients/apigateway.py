"""``ApiGatewayClient``: how the API Gateway record providers publish APIs backed by functions to
the backend (``/2016-08-15/local/apigateway/...``), which then routes their requests to the
functions. On top of :class:`~rosengine.clients.fc.FcClient`: same endpoint, signing and errors."""

from __future__ import annotations

from urllib.parse import quote

from rosengine.clients.fc import FcClient

_BASE = "/local/apigateway"


def _q(value: str) -> str:
    return quote(value, safe="")


class ApiGatewayClient:
    def __init__(self, fc: FcClient):
        self.fc = fc

    def close(self) -> None:
        """Nothing of its own to release: the FC client it speaks through is closed by its owner."""

    @property
    def endpoint(self) -> str:
        return self.fc.endpoint

    def put_group(self, group_id: str, name: str, sub_domain: str) -> None:
        self.fc.request(
            "PUT", f"{_BASE}/groups/{_q(group_id)}", body={"GroupName": name, "SubDomain": sub_domain}
        )

    def delete_group(self, group_id: str) -> None:
        self.fc.request("DELETE", f"{_BASE}/groups/{_q(group_id)}")

    def put_api(
        self,
        api_id: str,
        *,
        group_id: str,
        name: str,
        method: str,
        path: str,
        service: str,
        function: str,
        qualifier: str = "",
    ) -> None:
        body = {
            "GroupId": group_id,
            "ApiName": name,
            "Method": method,
            "Path": path,
            "ServiceName": service,
            "FunctionName": function,
            "Qualifier": qualifier,
        }
        self.fc.request("PUT", f"{_BASE}/apis/{_q(api_id)}", body=body)

    def delete_api(self, api_id: str) -> None:
        self.fc.request("DELETE", f"{_BASE}/apis/{_q(api_id)}")

    def deploy(self, group_id: str, stage: str, api_id: str) -> None:
        self.fc.request("PUT", f"{_BASE}/deployments/{_q(group_id)}/{_q(stage)}/{_q(api_id)}")

    def undeploy(self, group_id: str, stage: str, api_id: str) -> None:
        self.fc.request("DELETE", f"{_BASE}/deployments/{_q(group_id)}/{_q(stage)}/{_q(api_id)}")
