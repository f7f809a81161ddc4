"""``Fn::MarketplaceImage`` — the image ID of a marketplace product in the stack's region.

Locally there is no marketplace, so the answer is a fixture: a stable, realistic-looking ECS image
ID derived from region and product code (``m-`` + 20 hex digits). Same inputs, same ID, so
repeated plans show no spurious diff; another region gives another ID, as in the cloud.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, fail
from rosengine.functions.base import FunctionContext

NAME = "Fn::MarketplaceImage"


def local_image_id(region: str, product_code: str) -> str:
    digest = hashlib.sha256(f"{region}/{product_code}".encode()).hexdigest()
    return "m-" + digest[:20]


def evaluate_marketplace_image(args: Any, ctx: FunctionContext, path: Path) -> Any:
    if not isinstance(args, str) or not args.strip():
        raise fail(NAME, "a marketplace product code string (for example 'cmjj000001')", args)
    return local_image_id(ctx.region, args.strip())


define(NAME, evaluate_marketplace_image, result_type="string")
