import django.db.models.deletion  # noqa: F401
from django.contrib.postgres.operations import BtreeGistExtension, TrigramExtension, UnaccentExtension
from django.db import migrations, models
from django.contrib.postgres.operations import CreateExtension


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [
        # The extensions the design needs: phonetic keys, trigram similarity, exclusion constraints
        # over ranges, and accent folding for names.
        CreateExtension("fuzzystrmatch"),
        TrigramExtension(),
        BtreeGistExtension(),
        UnaccentExtension(),
        migrations.CreateModel(
            name="Force",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(help_text="Short code, e.g. GMP.", max_length=16, unique=True)),
                ("name", models.CharField(max_length=200)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"ordering": ["code"]},
        ),
    ]
