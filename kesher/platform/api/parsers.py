"""The API's JSON parser: DRF's, refusing documents nested too deeply with 400 (issue
"Platform v2" item 10) instead of failing with a RecursionError (500)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from kesher.platform.jsonlimits import TooDeep, check_depth, too_deep_message

__all__ = ["JSONParser"]


class JSONParser(parsers.JSONParser):
    """Every JSON body of every endpoint is read here (``DEFAULT_PARSER_CLASSES``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            check_depth(data)
        except (RecursionError, TooDeep):
            raise ParseError(too_deep_message()) from None
        return data
