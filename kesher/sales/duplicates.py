"""What a new lead is matched on (REQ SA-1): other leads, and the contacts and accounts it
would become — on the create page, through the API and in imports, by the platform's duplicate
check (kesher.dedupe, decision 0055)."""

from kesher.dedupe.specs import AlsoMatch, DedupeSpec, register_spec

PERSON = (("phone", "phone"), ("mobile", "mobile"), ("email", "email"))

leads = register_spec(
    DedupeSpec(
        key="leads",
        name_fields=("first_name", "last_name"),
        phone_fields=("phone", "mobile"),
        email_fields=("email",),
        block_field="city",
        sort_fields=("city", "last_name", "first_name"),
        also_against=(
            AlsoMatch(
                "contacts",
                (
                    ("first_name", "first_name"),
                    ("last_name", "last_name"),
                    ("city", "city"),
                    *PERSON,
                ),
            ),
            # The company a lead names is the account it would become.
            AlsoMatch("accounts", (("name", "company_name"), *PERSON)),
        ),
    )
)
