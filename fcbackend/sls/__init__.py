"""The local Simple Log Service (SLS) twin: projects, logstores, indexes, logs.

Layout: :mod:`~fcbackend.sls.store` keeps everything in SQLite behind a small interface;
:mod:`~fcbackend.sls.service` is the service (names checked, logs written and queried);
:mod:`~fcbackend.sls.api` is the HTTP API as the official ``aliyun-log-python-sdk`` calls it
(project from the first label of ``Host``, signatures checked by :mod:`~fcbackend.sls.signature`
through :mod:`fcbackend.access`); :mod:`~fcbackend.sls.fc_logs` ships function logs of services
with a ``logConfig``. docs/sls.md describes what is emulated.
"""
