"""The credentials FC hands a function whose service (FC 2.0) or function (FC 3.0) has a role.

Real FC assumes the role as the service ``fc.aliyuncs.com`` and gives the function the temporary
keys (``context.credentials`` and ``ALIBABA_CLOUD_*``). Here STS mints them the same way, so the
function can call STS, RAM and the other twins with exactly what its role allows:

* the role must exist in the local RAM and its trust policy must name ``fc.aliyuncs.com``
  (under ``ROS_IAM_ENFORCEMENT=soft`` an untrusting role still gives credentials, with a warning;
  ``off`` skips the trust check);
* a role that cannot be used gives *no* credentials (all empty, as a function without a role gets),
  and ``note`` says why — it goes into each invocation's log;
* the session lasts the role's ``MaxSessionDuration`` and is replaced once two thirds of it have
  passed (``refresh_at``), so a function never holds keys about to expire.

The session name is the function's name (2-64 characters of STS's alphabet; a one-letter name
gets an ``fc-`` prefix).
"""

from __future__ import annotations

from fcbackend.models import RoleCredentials
from fcbackend.ram.errors import RamError
from fcbackend.ram.sts import StsService

FC_SERVICE = "fc.aliyuncs.com"
REFRESH_FRACTION = 2 / 3


class FunctionRoleCredentials:
    """:class:`fcbackend.models.RoleCredentialIssuer` backed by the local STS."""

    def __init__(self, sts: StsService, *, service: str = FC_SERVICE):
        self.sts = sts
        self.service = service

    def function_credentials(self, role_arn: str, session_name: str) -> RoleCredentials:
        name = session_name if len(session_name) >= 2 else f"fc-{session_name}"
        try:
            issued, warning = self.sts.assume_role_for_service(self.service, role_arn, name[:64])
        except RamError as exc:
            return RoleCredentials(
                note=f"role {role_arn} gives this function no credentials: {exc.code}: {exc.message}"
            )
        now = self.sts.account_now()
        refresh_at = now + (issued.expires - now) * REFRESH_FRACTION
        return RoleCredentials(
            issued.access_key_id,
            issued.access_key_secret,
            issued.security_token,
            refresh_at,
            f"role {role_arn}: {warning}" if warning else "",
        )
