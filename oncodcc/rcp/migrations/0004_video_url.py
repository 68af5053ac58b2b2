"""The meeting's video-conference link becomes an override of its board's: blank means the board's link.

Meetings used to copy the board's link when created; the copies equal to the board's current link are cleared so
that a later change of the board's link reaches them (a meeting given its own link keeps it)."""

from django.db import migrations, models
from django.db.models import F


def clear_copied_links(apps, schema_editor):
    Meeting = apps.get_model("rcp", "Meeting")
    Meeting.objects.exclude(video_url="").filter(video_url=F("board__video_url")).update(video_url="")


class Migration(migrations.Migration):

    dependencies = [
        ("rcp", "0003_display_labels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="board",
            name="video_url",
            field=models.URLField(blank=True, help_text="Lien par défaut de toutes les séances de la RCP.",
                                  verbose_name="lien de visioconférence"),
        ),
        migrations.AlterField(
            model_name="meeting",
            name="video_url",
            field=models.URLField(blank=True, help_text="Vide : le lien de visioconférence de la RCP.",
                                  verbose_name="lien de visioconférence"),
        ),
        # Reversing leaves the links blank: the meeting pages show the board's link either way.
        migrations.RunPython(clear_copied_links, migrations.RunPython.noop),
    ]
