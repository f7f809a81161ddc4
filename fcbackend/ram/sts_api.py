"""The STS API (version 2015-04-01): ``AssumeRole`` and ``GetCallerIdentity``.

``AssumeRoleWithSAML`` and ``AssumeRoleWithOIDC`` need an identity provider this backend does not
have; they answer ``InvalidAction.NotFound`` naming what is emulated.
"""

from __future__ import annotations

from typing import Any

from fcbackend.ram.calls import ActionCall, Handler
from fcbackend.ram.sts import StsService

VERSION = "2015-04-01"


class StsApi:
    def __init__(self, sts: StsService):
        self.sts = sts
        self.actions: dict[str, Handler] = {
            "AssumeRole": self.assume_role,
            "GetCallerIdentity": self.get_caller_identity,
        }

    def assume_role(self, call: ActionCall) -> dict[str, Any]:
        # the permission check (sts:AssumeRole on the role) is part of StsService.assume_role
        return self.sts.assume_role(
            call.caller,
            call.required("RoleArn"),
            call.required("RoleSessionName"),
            duration_seconds=call.integer("DurationSeconds"),
            policy=call.optional("Policy"),
            external_id=call.optional("ExternalId"),
        )

    def get_caller_identity(self, call: ActionCall) -> dict[str, Any]:
        return self.sts.caller_identity(call.caller)
