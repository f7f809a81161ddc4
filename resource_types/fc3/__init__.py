"""Providers of the ``ALIYUN::FC3::*`` types (schemas: ``resource_types/fc/fc3_*.json``); they
reach the backend through :class:`rosengine.clients.fc3.Fc3Client` (``ctx.client("fc3")``)."""
