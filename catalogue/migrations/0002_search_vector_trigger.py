"""PostgreSQL: the search vector is kept by a trigger, so every write of a practice's texts refreshes it, also
the ones that bypass the catalogue's services: the erasure and retention of personal data (workflows.privacy)
replace a person's name with a queryset update, and the old vector still found the erased name."""

from django.db import migrations

# The same vector catalogue.services once stored after each save: the title (weight A), and each text shown on the
# public page (B for the organisation and what was done, C for whom and the lessons), in the 'swedish' config.
FUNCTION = """
CREATE OR REPLACE FUNCTION catalogue_practice_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('swedish'::regconfig, COALESCE(NEW.title, '')), 'A')
    || CASE WHEN NEW.show_organisation_name
            THEN setweight(to_tsvector('swedish'::regconfig, COALESCE(NEW.organisation_name, '')), 'B')
            ELSE ''::tsvector END
    || CASE WHEN NEW.show_what_was_done
            THEN setweight(to_tsvector('swedish'::regconfig, COALESCE(NEW.what_was_done, '')), 'B')
            ELSE ''::tsvector END
    || CASE WHEN NEW.show_for_whom
            THEN setweight(to_tsvector('swedish'::regconfig, COALESCE(NEW.for_whom, '')), 'C')
            ELSE ''::tsvector END
    || CASE WHEN NEW.show_lessons
            THEN setweight(to_tsvector('swedish'::regconfig, COALESCE(NEW.lessons, '')), 'C')
            ELSE ''::tsvector END;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS catalogue_practice_search_vector ON catalogue_practice;
CREATE TRIGGER catalogue_practice_search_vector BEFORE INSERT OR UPDATE ON catalogue_practice
  FOR EACH ROW EXECUTE FUNCTION catalogue_practice_search_vector();
UPDATE catalogue_practice SET search_vector = NULL;
"""

DROP = """
DROP TRIGGER IF EXISTS catalogue_practice_search_vector ON catalogue_practice;
DROP FUNCTION IF EXISTS catalogue_practice_search_vector();
"""


def trigger_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def trigger_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [("catalogue", "0001_initial")]

    operations = [migrations.RunPython(trigger_create, trigger_drop)]
