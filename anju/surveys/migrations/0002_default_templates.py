"""SUR-1: the default questionnaire of every touchpoint (anju/surveys/defaults.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from anju.surveys import defaults

    defaults.install(apps.get_model("surveys", "SurveyTemplate"), apps.get_model("surveys", "SurveyQuestion"))


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
