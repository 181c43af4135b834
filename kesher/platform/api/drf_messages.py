"""Django REST framework's own messages, listed so that Kesher's Hebrew catalogue carries them:
DRF ships no catalogue for ``he`` (only ``he_IL``), so API errors would stay English
(DESIGN.md: validation errors in the request's language). Nothing calls this module."""

from django.utils.translation import gettext_noop

MESSAGES = (
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Invalid token."),
    gettext_noop("User inactive or deleted."),
    gettext_noop("Invalid token header. No credentials provided."),
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop("Not found."),
    gettext_noop("No %(verbose_name)s matches the given query."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    gettext_noop("This field may not be blank."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("A valid integer is required."),
    gettext_noop("A valid number is required."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop('Invalid pk "{pk_value}" - object does not exist.'),
    gettext_noop("Incorrect type. Expected pk value, received {data_type}."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Time has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Duration has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("A valid biginteger is required."),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop("JSON parse error - {detail}"),
    gettext_noop("Request was throttled."),
    gettext_noop("Invalid page."),
    gettext_noop("Value must be valid JSON."),
)
