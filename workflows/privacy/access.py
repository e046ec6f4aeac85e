"""Who may see and erase whose personal data (the secretary and the administrator), and finding a person."""


from django.db.models import Q

from accounts import roles
from accounts.models import User
from django.http import Http404



# --------------------------------------------------------------------------------------------------
# Who may see and erase whose data


def may_manage_personal_data(user) -> bool:
    """The project secretary and the administrator (superuser) run erasures and see anyone's data."""
    return bool(user.is_authenticated and user.is_active
                and (user.is_superuser or roles.has_role(user, roles.SECRETARY)))


def person_get_for_staff(*, user, pk: int) -> User:
    if not may_manage_personal_data(user):
        raise Http404
    person = User.objects.filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def people_for_staff(*, user, query: str = ""):
    if not may_manage_personal_data(user):
        raise Http404
    people = User.objects.order_by("email", "pk")
    query = query.strip()
    if query:
        people = people.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    return people
