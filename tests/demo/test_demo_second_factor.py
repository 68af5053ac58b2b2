"""The demo accounts' second factor: a published secret per account (README, `make run`), `dcc otp-code USER` for
the current code — both refused outside demo mode, and `otp-code` only for the devices with the published secret."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oncodcc.demo.accounts import DEMO_ACCOUNTS, accounts_table, print_accounts, totp_secret
from oncodcc.demo.region import add_demo_second_factors
from tests import factories as f
from tests.auth import enrol, totp
from tests.core.test_settings import production_env, run_dcc

README = Path(__file__).resolve().parents[2] / "README.md"


def otp_code(username: str) -> str:
    out = StringIO()
    call_command("otp_code", username, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_otp_code_prints_the_current_code_of_a_demo_account(settings):
    settings.DEMO_MODE = True
    medecin = f.DoctorFactory(username="medecin")
    assert add_demo_second_factors([medecin]) == 1
    before, code, after = totp(totp_secret("medecin")), otp_code("medecin"), totp(totp_secret("medecin"))
    assert code in {before, after} and re.fullmatch(r"\d{6}", code)


@pytest.mark.django_db
def test_otp_code_refuses_other_accounts(settings):
    settings.DEMO_MODE = True
    enrol(f.DoctorFactory(username="dr.reel"))
    with pytest.raises(CommandError, match="n'est pas un compte de démonstration"):
        otp_code("dr.reel")
    # Even named like a demo account, a device enrolled by its owner keeps its code to itself.
    enrol(f.UserFactory(username="dpo"))
    with pytest.raises(CommandError, match="n'est pas un compte de démonstration"):
        otp_code("dpo")
    with pytest.raises(CommandError, match="n'est pas un compte de démonstration"):
        otp_code("personne")


@pytest.mark.django_db
def test_otp_code_and_the_secrets_are_refused_outside_demo_mode(settings, capsys):
    settings.DEMO_MODE = False
    add_demo_second_factors([f.DoctorFactory(username="medecin")])
    with pytest.raises(CommandError, match="Refusé : le mode démonstration est désactivé"):
        otp_code("medecin")
    with pytest.raises(SystemExit) as exit_:
        print_accounts()
    assert exit_.value.code == 1
    assert "Refusé : le mode démonstration est désactivé" in capsys.readouterr().err


def test_dcc_otp_code_exits_non_zero_in_production(tmp_path):
    result = run_dcc("otp-code", "medecin", tmp_path=tmp_path, **production_env())
    assert result.returncode == 1
    assert "Refusé : le mode démonstration est désactivé (DCC_DEMO_MODE)" in result.stderr
    assert not re.search(r"\b\d{6}\b", result.stdout)


def test_the_secrets_are_those_of_the_readme_and_of_make_run(settings):
    settings.DEMO_MODE = True
    table = accounts_table()
    readme = README.read_text(encoding="utf-8")
    for username, _, _ in DEMO_ACCOUNTS:
        secret = totp_secret(username)
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        assert re.search(rf"^\| `{username}` \|.*\| `{secret}` \|", readme, re.M), username
        assert re.search(rf"^\s+{username}\s.*\s{secret}\s", table, re.M), username
    assert len({totp_secret(username) for username, _, _ in DEMO_ACCOUNTS}) == len(DEMO_ACCOUNTS)
