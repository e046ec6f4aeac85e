# The second factor's secrets at rest (accounts/mfa_secrets.py): allauth kept the TOTP secret and the recovery
# codes' seed in clear in Authenticator.data until the MFA adapter encrypted them. This encrypts those already
# stored with the current key; reversed, it writes them back in clear.

from django.db import migrations

from accounts.mfa_secrets import data_decrypt, data_encrypt


def _each(apps, change):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.only("pk", "type", "data").iterator():
        data = change(authenticator.type, authenticator.data)
        if data != authenticator.data:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)


def secrets_encrypt(apps, schema_editor):
    _each(apps, data_encrypt)


def secrets_decrypt(apps, schema_editor):
    _each(apps, data_decrypt)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_mfa"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [
        migrations.RunPython(secrets_encrypt, secrets_decrypt),
    ]
