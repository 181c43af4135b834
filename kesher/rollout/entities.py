"""The roll-out's data in the platform registry (REQ IMPL-1, IMPL-2): the stages of the method,
their checklist items and the training exercises are records administrators edit like any
other — pages, API, import and export come from these registrations. No role but the
administrator's has a grant on them."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, Related, Section, register
from kesher.rollout.models import Exercise, Item, Stage

register(
    Entity(
        key="rollout-stages",
        model=Stage,
        label=_("roll-out stage"),
        label_plural=_("Roll-out stages"),
        icon="⛳",
        nav_order=990,
        in_navigation=False,
        list_columns=("order", "name_he", "name_en", "key"),
        form_fields=("key", "name_he", "name_en", "description_he", "description_en", "order"),
        sections=(
            Section(_("Stage"), ("key", "name_he", "name_en", "order")),
            Section(_("Description"), ("description_he", "description_en")),
        ),
        related=(
            Related(_("Items"), "rollout-items", "stage", ("order", "name_he", "detector", "link")),
        ),
        search_words=("name_he", "name_en"),
        ordering_fields=("order", "id"),
        default_ordering=("order", "id"),
        owner_field=None,
        natural_keys=("key",),
        lookup_keys=("key",),
        api_example={
            "key": "go-live",
            "name_he": "עלייה לאוויר",
            "name_en": "Go-live",
            "order": 80,
        },
    )
)

register(
    Entity(
        key="rollout-items",
        model=Item,
        label=_("roll-out item"),
        label_plural=_("Roll-out items"),
        icon="☑",
        nav_order=991,
        in_navigation=False,
        list_columns=("stage", "order", "name_he", "detector", "link", "done_at"),
        form_fields=("stage", "key", "name_he", "name_en", "link", "detector", "order"),
        sections=(
            Section(_("Item"), ("stage", "key", "name_he", "name_en", "order")),
            Section(_("Where and how"), ("link", "detector", "done_at", "done_by")),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("stage",),
        ordering_fields=("order", "id"),
        default_ordering=("stage", "order", "id"),
        select_related=("stage", "done_by"),
        owner_field=None,
        natural_keys=("key",),
        api_example={
            "stage": 2,
            "key": "departments",
            "name_he": "עץ המחלקות",
            "name_en": "The department tree",
            "link": "/r/departments/",
            "detector": "departments",
            "order": 10,
        },
    )
)

register(
    Entity(
        key="training-exercises",
        model=Exercise,
        label=_("training exercise"),
        label_plural=_("Training exercises"),
        icon="🎓",
        nav_order=992,
        in_navigation=False,
        list_columns=("order", "title_he", "role", "advanced", "detector"),
        form_fields=(
            "role",
            "title_he",
            "title_en",
            "steps_he",
            "steps_en",
            "link",
            "detector",
            "advanced",
            "order",
        ),
        sections=(
            Section(_("Exercise"), ("role", "title_he", "title_en", "advanced", "order")),
            Section(_("Instructions"), ("steps_he", "steps_en", "link", "detector")),
        ),
        search_words=("title_he", "title_en"),
        filter_fields=("role", "advanced"),
        ordering_fields=("order", "id"),
        default_ordering=("advanced", "order", "id"),
        select_related=("role",),
        owner_field=None,
        api_example={
            "role": 3,
            "title_he": "ליצור לקוח חדש",
            "title_en": "Create a new account",
            "link": "/r/accounts/new/",
            "detector": "accounts",
        },
    )
)
