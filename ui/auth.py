"""Sign-in for a studio, and who the current user is (every page asks through `ui.job_view.run_page`).

Two modes, chosen by ``.streamlit/secrets.toml`` (Streamlit's secrets file; ``--secrets.files``
names another):

- **local** (no ``[auth]`` section): no accounts; the one person at the machine is its
  administrator (`engine.library.LOCAL_ADMIN`) and sees everything, as on the command line.
- **studio** (an ``[auth]`` section for an OpenID Connect provider, Streamlit's `st.login`):
  every page asks to sign in first. The user is their ``email`` claim (else ``sub``); their role
  is teacher when the ``[studio]`` ``role_claim`` claim says "teacher" (a string or a list) or
  their id is in ``[studio] teachers``, else student.

``[studio]`` also holds the per-user limits (`StudioSettings`); README "Hosted for a studio".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import streamlit as st

from engine.core.errors import SettingsError
from engine.library import LOCAL_ADMIN, User

#: The secrets file's section with the roles and limits.
STUDIO_SECTION = "studio"
_USER_KEY = "dance_user"


@dataclass(frozen=True)
class StudioSettings:
    """Roles and per-user limits of a hosted app (``[studio]`` in the secrets file).

    teachers : user ids (e-mail addresses) who are teachers
    role_claim : the ID-token claim that may say "teacher" (string or list of strings)
    max_jobs : background jobs (extractions, comparisons) one user may have queued or running
    max_upload_mb : largest clip one upload may be, megabytes
    max_storage_mb : videos stored for one user (uploads and recordings) at most, megabytes
    provider : the ``[auth.NAME]`` provider to sign in with when there are several (None: ``[auth]``)
    """

    teachers: tuple[str, ...] = ()
    role_claim: str = "role"
    max_jobs: int = 3
    max_upload_mb: int = 200
    max_storage_mb: int = 2000
    provider: str | None = None

    @classmethod
    def from_mapping(cls, values: Mapping) -> StudioSettings:
        """From the ``[studio]`` table; an unknown key or a bad value raises SettingsError."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise SettingsError(f"[{STUDIO_SECTION}] has unknown keys {sorted(unknown)}; known: {sorted(known)}")
        out = dict(values)
        if "teachers" in out:
            out["teachers"] = tuple(str(t).strip().lower() for t in out["teachers"])
        for key in ("max_jobs", "max_upload_mb", "max_storage_mb"):
            if key in out and (not isinstance(out[key], int) or out[key] < 1):
                raise SettingsError(f"[{STUDIO_SECTION}] {key} must be a whole number of at least 1, got {out[key]!r}")
        return cls(**out)


def user_from_claims(claims: Mapping, settings: StudioSettings) -> User:
    """The library user of a signed-in person's ID-token claims (pure: no Streamlit)."""
    uid = str(claims.get("email") or claims.get("sub") or "").strip().lower()
    if not uid:
        raise SettingsError("The sign-in provider gave neither an email nor a sub claim, so the user cannot be "
                            "told apart from others.")
    said = claims.get(settings.role_claim)
    said = [said] if isinstance(said, str) else list(said or [])
    teacher = "teacher" in {str(s).strip().lower() for s in said} or uid in settings.teachers
    return User(uid, "teacher" if teacher else "student")


def _secrets_section(name: str) -> Mapping | None:
    if not st.secrets.load_if_toml_exists():
        return None
    section = st.secrets.get(name)
    return section if isinstance(section, Mapping) else None


def signin_configured() -> bool:
    """True when the secrets file has an ``[auth]`` section (studio mode)."""
    return _secrets_section("auth") is not None


def studio_settings() -> StudioSettings:
    """The ``[studio]`` settings (defaults when the section is absent)."""
    section = _secrets_section(STUDIO_SECTION)
    return StudioSettings.from_mapping(section.to_dict() if hasattr(section, "to_dict") else dict(section or {}))


def gate() -> User:
    """The user of this page run. Local mode: the administrator. Studio mode: the signed-in user,
    or a sign-in page and `st.stop()` for a visitor who is not signed in yet."""
    if not signin_configured():
        st.session_state[_USER_KEY] = LOCAL_ADMIN
        return LOCAL_ADMIN
    settings = studio_settings()
    if not st.user.is_logged_in:
        st.session_state.pop(_USER_KEY, None)
        st.title("Dance compare")
        st.info("This studio's dance library is private: sign in to see your clips, attempts and the routines your "
                "teacher shared with you.", icon=":material/lock:")
        if st.button("Sign in", key="auth_sign_in", type="primary"):
            st.login(settings.provider) if settings.provider else st.login()
        st.stop()
    user = user_from_claims(st.user.to_dict(), settings)
    st.session_state[_USER_KEY] = user
    with st.sidebar:
        st.caption(f":material/account_circle: Signed in as **{user.id}** ({user.role})")
        if st.button("Sign out", key="auth_sign_out"):
            st.session_state.pop(_USER_KEY, None)
            st.logout()
    return user


def current_user() -> User:
    """The user `gate` let in on this run (the administrator in local mode)."""
    user = st.session_state.get(_USER_KEY)
    return user if isinstance(user, User) else gate()
