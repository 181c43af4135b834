"""What other apps' access-matrix registrations need of customers."""

from kesher.customers.models import Account
from kesher.customers.services import account_create
from kesher.platform.testing.matrix import owner_of


def own_customer(world, side: str, label: str):
    """The side's own account for records kept with their customer (documents): an account with
    documents cannot be deleted (they are kept by law), and the matrix deletes the side's main
    account, so each app's documents get a customer of their own, made once."""
    name = f"{label} customer {side}"
    return Account.objects.filter(name=name).first() or account_create(
        actor=owner_of(world, side), data={"name": name, "owner": owner_of(world, side)}
    )
