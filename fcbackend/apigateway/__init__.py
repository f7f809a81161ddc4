"""API Gateway routes to local functions: the one piece of API Gateway with a local data plane.

API Gateway groups, APIs and deployments are records in stacks (``resource_types/records``); an
API whose backend is a Function Compute function (``ServiceConfig.ServiceProtocol:
FunctionCompute``) and that is deployed to a stage is also published here, so a request reaches
the function as API Gateway would send it (an event with ``path``, ``httpMethod``, ``headers``,
``queryParameters``, ``pathParameters``, ``body``, ``isBase64Encoded``; the function answers
``{"statusCode", "headers", "body", "isBase64Encoded"}``).

Where requests come in: the group's sub-domain as ``Host`` (``<group id>-<region>.alicloudapi.com``,
what the gateway forwards), or ``/apigateway/<group id><path>`` on the backend's own endpoint; the
stage is ``X-Ca-Stage`` (RELEASE by default), as in API Gateway. Authorization (AuthType APP,
signatures, traffic control) is recorded, not enforced. The control routes the providers' client
uses are ``/2016-08-15/local/apigateway/{groups|apis|deployments}/...`` (signed like the FC API).
"""
