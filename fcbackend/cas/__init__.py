"""The Certificate Management Service (CAS) twin: certificates uploaded to the local account and
their details, answered on ``cas.aliyuncs.com`` with RAM's RPC signature checks (docs/cas.md)."""
