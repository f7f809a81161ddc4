"""ALIYUN::SLS::* providers: Project, Logstore and Index on the local SLS twin; MachineGroup and
LogtailConfig as records (stored, listed and deleted by the twin, but nothing collects logs from
machines locally). They reach the twin only through :class:`rosengine.clients.sls.SlsClient`."""
