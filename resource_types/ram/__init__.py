"""The ``ALIYUN::RAM::*`` resource types and ``DATASOURCE::RAM::Roles``, on the local RAM twin."""
