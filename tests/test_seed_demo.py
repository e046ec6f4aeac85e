import json

import pytest
from django.core.management import call_command

from accounts.models import User
from grants.models import Application
from tests.flow_helpers import open_task

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_every_role_and_stage_and_is_idempotent(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # keep the demo passwords of a real installation untouched

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    logins = json.loads((tmp_path / "demo-logins.json").read_text())
    draft = Application.objects.get(title="Språkcafé i Kalmar")
    draft.summary = "Skrivet av en användare"
    draft.save()
    call_command("seed_demo", stdout=open("/dev/null", "w"))

    assert json.loads((tmp_path / "demo-logins.json").read_text()) == logins
    assert sorted(u.email for u in User.objects.all()) == sorted(logins)
    for email, info in logins.items():
        assert User.objects.get(email=email).check_password(info["password"])
    stages = {a.title: (a.status, open_task(a).flow_task.name if a.status not in ("draft", "carried_out") else None)
              for a in Application.objects.all()}
    assert stages == {
        "Språkcafé i Kalmar": ("draft", None),
        "Samtalskvällar om föreningsliv": ("submitted", "exante_check"),
        "Matlagning över gränser": ("review", "review"),
        "Dialogträffar på biblioteket": ("granted", "final_report"),
        "Samtal vid köksbordet": ("carried_out", None),
    }
    assert Application.objects.get(title="Språkcafé i Kalmar").summary == "Skrivet av en användare"
