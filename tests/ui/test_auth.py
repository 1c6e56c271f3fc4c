"""Sign-in helpers without a browser: roles from claims and settings, the [studio] table, upload limits."""

from __future__ import annotations

import pytest

from engine.core.errors import SettingsError
from ui.auth import StudioSettings, user_from_claims
from ui.uploads import limit_message

TEACHERS = StudioSettings(teachers=("mia@studio.example",), role_claim="roles")


@pytest.mark.parametrize("claims, uid, role", [
    ({"email": "Ana@Studio.example", "sub": "123"}, "ana@studio.example", "student"),
    ({"sub": "auth0|42"}, "auth0|42", "student"),
    ({"email": "mia@studio.example"}, "mia@studio.example", "teacher"),            # in the list
    ({"email": "leo@studio.example", "roles": "Teacher"}, "leo@studio.example", "teacher"),    # a string claim
    ({"email": "leo@studio.example", "roles": ["staff", "teacher"]}, "leo@studio.example", "teacher"),
    ({"email": "leo@studio.example", "roles": ["student"]}, "leo@studio.example", "student"),
    ({"email": "leo@studio.example", "role": "teacher"}, "leo@studio.example", "student"),   # not the claim set
])
def test_user_from_claims(claims, uid, role) -> None:
    user = user_from_claims(claims, TEACHERS)
    assert (user.id, user.role) == (uid, role)


def test_a_person_without_email_or_sub_is_refused() -> None:
    with pytest.raises(SettingsError, match="neither an email nor a sub"):
        user_from_claims({"name": "Ana"}, TEACHERS)


@pytest.mark.parametrize("table, expected, error", [
    ({}, StudioSettings(), None),
    ({"teachers": [" Mia@Studio.example "], "max_jobs": 1}, StudioSettings(teachers=("mia@studio.example",),
                                                                              max_jobs=1), None),
    ({"max_jobs": 0}, None, "max_jobs must be a whole number of at least 1"),
    ({"max_upload_mb": "big"}, None, "max_upload_mb"),
    ({"max_job": 2}, None, "unknown keys"),
])
def test_studio_settings_from_the_table(table, expected, error) -> None:
    if error is None:
        assert StudioSettings.from_mapping(table) == expected
    else:
        with pytest.raises(SettingsError, match=error):
            StudioSettings.from_mapping(table)


@pytest.mark.parametrize("size_mb, used_mb, refused", [
    (10, 0, None),
    (200, 1800, None),                     # exactly at both limits
    (201, 0, "at most 200 MB"),
    (50, 1960, "does not fit"),
])
def test_upload_limits(size_mb, used_mb, refused) -> None:
    message = limit_message(size_mb * 1_000_000, used_mb * 1_000_000, max_upload_mb=200, max_storage_mb=2000)
    if refused is None:
        assert message is None
    else:
        assert refused in message
