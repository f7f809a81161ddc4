"""RAM's and STS's error codes, as their RPC APIs answer them.

Codes follow the services' published ones: ``EntityNotExist.User``, ``EntityAlreadyExists.Role``,
``DeleteConflict.User.AccessKey``, ``LimitExceeded.User.AccessKey`` (RAM API references,
https://www.alibabacloud.com/help/en/ram/developer-reference/api-ram-2015-05-01-dir), STS's
``NoPermission``, ``InvalidParameter.DurationSeconds``, ``InvalidParameter.PolicyGrammar``,
``InvalidParameter.RoleSessionName``, ``MissingSecurityToken`` and the gateway's
``InvalidAccessKeyId.NotFound``/``.Inactive``
(https://www.alibabacloud.com/help/en/oss/how-to-handle-the-common-errors-when-you-access-oss-by-using-sts),
``SignatureDoesNotMatch``, ``InvalidTimeStamp.Expired``, ``SignatureNonceUsed``,
``InvalidSecurityToken.Expired``/``.Malformed``/``.MismatchWithAccessKey`` and ``Missing<Param>``
("<Param> is mandatory for this action.") of Alibaba Cloud's API gateway. HTTP statuses:
400 for bad input, 403 for permission, 404 for unknown entities and keys, 409 for conflicts
(INFERRED where the references give no status).
"""

from __future__ import annotations


class RamError(Exception):
    """An error answer: ``code`` and ``message`` go into the RPC error body as they are."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def not_exist(entity: str, name: str) -> RamError:
    """``EntityNotExist.User`` ... ``entity`` as RAM spells it (User, Role, Group, Policy ...)."""
    readable = entity.replace(".", " ").lower()
    return RamError(f"EntityNotExist.{entity}", f"The {readable} does not exist: {name}", 404)


def already_exists(entity: str, name: str) -> RamError:
    readable = entity.replace(".", " ").lower()
    return RamError(f"EntityAlreadyExists.{entity}", f"The {readable} already exists: {name}", 409)


def delete_conflict(entity: str, message: str) -> RamError:
    return RamError(f"DeleteConflict.{entity}", message, 409)


def invalid(parameter: str, message: str) -> RamError:
    return RamError(f"InvalidParameter.{parameter}", message, 400)


def missing(parameter: str) -> RamError:
    return RamError(f"Missing{parameter}", f"{parameter} is mandatory for this action.", 400)


def no_permission(message: str) -> RamError:
    return RamError("NoPermission", message, 403)
