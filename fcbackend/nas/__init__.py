"""NAS as a directory: each file system is a directory under the backend's state directory
(``<state dir>/nas/<file system id>/``), kept across restarts, shared by every function and
instance that mounts it, and removed when its file system is deleted.

A function mounts it through its NAS config: FC 2.0's service ``nasConfig.mountPoints[].serverAddr``
(``<mount target domain>:/<path>``) and FC 3.0's function ``nasConfig`` alike
(:func:`fcbackend.nas.paths.mount_source` maps an address to the directory; the drivers bind it at
``mountDir``). Mount targets and access groups have no data plane: they are records in stacks, and a
mount target's domain names its file system (``<file system id>-<random>.<region>.nas.aliyuncs.com``).
The control routes the providers' client uses are ``/2016-08-15/local/nas/file-systems[/<id>]``.
"""
