"""The local object store (buckets as directories) and its HTTP API."""

from fcbackend.oss.service import OssService
from fcbackend.oss.store import ObjectInfo, ObjectStore, OssError

__all__ = ["ObjectInfo", "ObjectStore", "OssError", "OssService"]
