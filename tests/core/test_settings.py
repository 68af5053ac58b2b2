"""Production settings: `dcc check --deploy` is clean with the production variables, and refuses the dev key."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

DCC = Path(sys.executable).with_name("dcc")
DEV_KEY_PREFIX = "dev-only-insecure-key"


def run_dcc(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    # Only the variables given here: not the suite's (DATABASE_URL, DJANGO_ALLOW_ASYNC_UNSAFE, DCC_*, and its
    # settings module: these are the project's settings, as in production).
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("DCC_")
            and k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [str(DCC), *args], env={**base, "DCC_VAR_DIR": str(tmp_path), **env},
        capture_output=True, text=True, timeout=120,
    )


def production_env() -> dict[str, str]:
    return {"DCC_DEBUG": "0", "DCC_SECRET_KEY": secrets.token_urlsafe(50), "DCC_ALLOWED_HOSTS": "dcc.example.org",
            "DCC_AUDIT_KEY": secrets.token_urlsafe(48), "DCC_SITE_URL": "https://dcc.example.org"}


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run_dcc("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_a_key_production_refuses_to_start(tmp_path):
    env = production_env()
    del env["DCC_SECRET_KEY"]
    result = run_dcc("check", "--deploy", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert "DCC_SECRET_KEY n'est pas défini" in result.stderr
    assert DEV_KEY_PREFIX not in result.stdout + result.stderr


def test_the_key_file_of_make_run_is_used(tmp_path):
    key = secrets.token_urlsafe(50)
    (tmp_path / "secret_key").write_text(key + "\n")
    env = production_env()
    del env["DCC_SECRET_KEY"]
    result = run_dcc("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)",
                     tmp_path=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


def test_debug_and_demo_mode_are_off_unless_asked(tmp_path):
    show = "from django.conf import settings; print(settings.DEBUG, settings.DEMO_MODE, settings.SECURE_SSL_REDIRECT)"
    result = run_dcc("shell", "--no-imports", "-c", show, tmp_path=tmp_path, DCC_SECRET_KEY=secrets.token_urlsafe(50))
    assert result.stdout.split() == ["False", "False", "True"], result.stderr
    result = run_dcc("shell", "--no-imports", "-c", show, tmp_path=tmp_path, DCC_DEBUG="1")  # developer mode: explicit
    assert result.stdout.split() == ["True", "True", "False"], result.stderr


def test_development_key_is_refused_by_the_deploy_check(tmp_path):
    result = run_dcc("check", "--deploy", tmp_path=tmp_path, DCC_DEBUG="1")
    assert result.returncode != 0
    assert "oncodcc.E001" in result.stdout + result.stderr


def test_demo_mode_outside_debug_is_reported(tmp_path):
    result = run_dcc("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path,
                     **production_env(), DCC_DEMO_MODE="1")
    assert result.returncode != 0
    assert "oncodcc.W002" in result.stdout + result.stderr


def test_demo_data_refused_in_production(tmp_path):
    result = run_dcc("demo-data", tmp_path=tmp_path, **production_env())
    assert result.returncode != 0
    assert "DCC_DEMO_MODE" in result.stderr


def test_an_email_link_address_that_is_not_https_is_reported(tmp_path):
    env = production_env()
    del env["DCC_SITE_URL"]
    result = run_dcc("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert "oncodcc.W030" in result.stdout + result.stderr


def test_the_administration_names_every_application_in_french():
    """No English application name in the admin ("DIRECTORY", "Axes", "Tasks Database Backend")."""
    from django.apps import apps
    from django.contrib import admin

    shown = {model._meta.app_config for model in admin.site._registry}
    for app in shown:
        # Django titles the label ("Directory") when the application declares no name of its own.
        assert hasattr(type(app), "verbose_name"), f"{app.name} has no French verbose_name"
    assert apps.get_app_config("directory").verbose_name == "Annuaire"
def _pg_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    code = ("from django.db import connection\n"
            "with connection.cursor() as c:\n"
            "    c.execute('SHOW jit'); jit = c.fetchone()[0]\n"
            "    c.execute('SHOW work_mem'); work_mem = c.fetchone()[0]\n"
            "print(jit, work_mem, connection.settings_dict['CONN_MAX_AGE'], connection.settings_dict['CONN_HEALTH_CHECKS'])")
    return run_dcc("shell", "-v", "0", "--no-imports", "-c", code, tmp_path=tmp_path, DCC_DEBUG="1",
                   DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres", **env)


def test_postgresql_connections_run_without_jit_and_with_a_larger_work_mem(tmp_path):
    result = _pg_settings(tmp_path)
    assert result.returncode == 0, result.stderr  # needs the local PostgreSQL (127.0.0.1:5432), as CI has
    assert result.stdout.split() == ["off", "32MB", "60", "True"]
    overridden = _pg_settings(tmp_path, DCC_DB_WORK_MEM="64MB", DCC_DB_JIT="1")
    assert overridden.stdout.split()[:2] == ["on", "64MB"], overridden.stderr


def test_a_malformed_work_mem_is_refused(tmp_path):
    result = _pg_settings(tmp_path, DCC_DB_WORK_MEM="32MB -c fsync=off")
    assert result.returncode != 0 and "DCC_DB_WORK_MEM invalide" in result.stderr
