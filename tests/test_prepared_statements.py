"""PostgreSQL: parameters bound on the server and the queries a connection runs often prepared (config/settings.py,
DB_SERVER_SIDE_BINDING and DB_PREPARE_THRESHOLD), but the search's text written into the SQL, so that each text
is planned with its own value (grants.selectors._matching)."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from grants.models import Application, Fund
from grants.selectors import applications_matching
from tests.factories import ApplicationFactory, OrganisationFactory
from tests.test_health_and_settings import BASE_DIR

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")


def _database_options(tmp_path, **variables):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
    env.update({"POTTEN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": "postgres://potten@127.0.0.1:5432/potten", **variables})
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(sorted(s.DATABASES['default'].get('OPTIONS', {}).items()))")
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=60)


def test_postgresql_binds_on_the_server_and_prepares_unless_turned_off(tmp_path):
    # given: a PostgreSQL DATABASE_URL (nothing connects)
    # when: the settings are read with no DB_ variable, with the binding turned off, and with another threshold
    default = _database_options(tmp_path)
    off = _database_options(tmp_path, DB_SERVER_SIDE_BINDING="false")
    other = _database_options(tmp_path, DB_PREPARE_THRESHOLD="0")
    bad = _database_options(tmp_path, DB_PREPARE_THRESHOLD="-1")
    # then: on by default, psycopg preparing a query after its fifth run; off: Django's client-side binding
    assert default.returncode == off.returncode == other.returncode == 0, default.stderr + off.stderr
    planner = "('options', '-c random_page_cost=1.1')"
    assert default.stdout.strip() == f"[{planner}, ('prepare_threshold', 5), ('server_side_binding', True)]"
    assert off.stdout.strip() == f"[{planner}]"
    assert other.stdout.strip() == f"[{planner}, ('prepare_threshold', 0), ('server_side_binding', True)]"
    assert bad.returncode != 0 and "DB_PREPARE_THRESHOLD=-1 must be at least 0" in bad.stderr


def _prepared(like):
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql AND statement LIKE %s",
                       [like])
        return [statement for (statement,) in cursor.fetchall()]


@postgresql_only
@pytest.mark.django_db
def test_a_query_run_repeatedly_on_a_connection_is_prepared_with_its_parameters():
    # given: the test connection, with the project's settings
    connection.ensure_connection()
    assert connection.settings_dict["OPTIONS"]["server_side_binding"] is True
    assert connection.connection.prepare_threshold == 5
    slug = "prepared-statements-test"
    statement = '%WHERE ("grants_fund"."name" > $1 AND "grants_fund"."slug" = $2)%'

    def query():
        return list(Fund.objects.filter(slug=slug, name__gt="").values_list("pk", flat=True))

    # when: one query is run as often as the threshold: not prepared yet; once more: prepared
    for _run in range(5):
        assert query() == []
    before = _prepared(statement)
    assert query() == []
    after = _prepared(statement)
    # then: prepared once, with its values as parameters (the same statement serves any slug), and it still
    # answers with the value of the run
    assert before == [] and len(after) == 1
    assert slug not in after[0]
    fund = ApplicationFactory().call.fund
    assert list(Fund.objects.filter(slug=fund.slug, name__gt="").values_list("pk", flat=True)) == [fund.pk]
    assert len(_prepared(statement)) == 1


@postgresql_only
@pytest.mark.django_db
def test_the_search_text_is_written_into_the_prepared_query_never_a_parameter():
    # given: applications of an organisation whose name has a quote, a percent sign and a backslash
    odd = OrganisationFactory(name="Stiftelsen O'Brien 100% \\d")
    application = ApplicationFactory(organisation=odd)
    ApplicationFactory()
    # when: the same texts are searched for more often than the threshold
    for _run in range(7):
        for text in ("o'brien", "100%", "\\d"):
            assert list(applications_matching(Application.objects.all(), text).values_list("pk", flat=True)) \
                == [application.pk]
    # then: the searches were prepared, each with its own text in the SQL (planned for it), none with the text
    # as a parameter of `~*`
    searches = _prepared("%~*%")
    assert len(searches) == 3
    assert not [statement for statement in searches if "~* $" in statement]
    literals = ("'o''brien'", "'100%'", "E'\\\\\\\\d'")  # the last: E'\\\\d', the text \d escaped for `~*`
    assert sorted(literal for literal in literals for statement in searches if literal in statement) \
        == sorted(literals)
