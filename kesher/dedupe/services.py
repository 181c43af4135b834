"""Writes of the duplicates app: every one goes through here (views and API are thin)."""

from kesher.dedupe.merge import merge_records, pair_dismiss
from kesher.dedupe.scan import scan_start

__all__ = ["merge_records", "pair_dismiss", "scan_start"]
