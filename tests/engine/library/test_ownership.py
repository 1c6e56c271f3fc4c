"""Who sees what (sign-in): isolation enforced by the library's queries, on SQLite and PostgreSQL.

A teacher shares a routine; students A and B each make an attempt at it. Student A then guesses
B's comparison ids, clip hashes (whole and as prefixes), video and pose files, and gets exactly
the answer a thing that does not exist gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.core.errors import LibraryError
from engine.library import EVERYONE, LOCAL_ADMIN, ClipInfo, Library, User
from tests.engine.library.conftest import make_report

TEACHER = User("teacher@studio.example", "teacher")
ANA = User("ana@studio.example", "student")
BEN = User("ben@studio.example", "student")
T_SHA, A_SHA, B_SHA = "7" * 64, "a1" * 32, "b2" * 32
ROUTINE = "Salsa 1"


@dataclass
class Studio:
    admin: Library
    teacher: Library
    ana: Library
    ben: Library
    ana_cmp: int
    ben_cmp: int
    files: dict[str, Path]


def _stored(tmp: Path, sha: str, who: str) -> tuple[ClipInfo, Path]:
    """A clip whose video and pose file this product stored (an upload), on disk in `tmp`."""
    video = tmp / "uploads" / who / f"{sha}.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(sha.encode() * 100)
    poses = tmp / f"{sha}-fp.h5"
    poses.write_bytes(b"h5")
    return ClipInfo(sha256=sha, file_name=f"{who}.mp4", duration_s=10.0, cache_file=str(poses),
                    video_path=str(video), video_owned=True), video


@pytest.fixture
def studio(library: Library, tmp_path: Path) -> Studio:
    teacher, ana, ben = (library.as_user(u) for u in (TEACHER, ANA, BEN))
    t_info, t_video = _stored(tmp_path, T_SHA, "teacher")
    teacher.record_clip(t_info)
    teacher.set_labels(T_SHA, routine=ROUTINE, dancer="Teacher")
    teacher.share_routine(ROUTINE, EVERYONE)
    files = {"teacher": t_video}
    cmp_ids = {}
    for lib, sha, name in ((ana, A_SHA, "ana"), (ben, B_SHA, "ben")):
        info, files[name] = _stored(tmp_path, sha, name)
        lib.record_clip(info)
        lib.set_labels(sha, routine=ROUTINE, dancer=name.capitalize())
        cmp_ids[name] = lib.record_comparison(make_report(teacher=T_SHA, student=sha, student_file=f"{name}.mp4"),
                                              source="upload", clips_info=[t_info, info])
    return Studio(library, teacher, ana, ben, cmp_ids["ana"], cmp_ids["ben"], files)


def _shas(lib: Library) -> set[str]:
    return {c.sha256 for c in lib.list_clips()}


def _message(exc: pytest.ExceptionInfo, secret: str) -> str:
    return str(exc.value).replace(secret, "<key>")


def test_each_user_sees_their_clips_and_the_shared_routine(studio: Studio) -> None:
    assert _shas(studio.ana) == {T_SHA, A_SHA}
    assert _shas(studio.ben) == {T_SHA, B_SHA}
    assert _shas(studio.teacher) == {T_SHA}            # the students' own clips stay theirs
    assert _shas(studio.admin) == {T_SHA, A_SHA, B_SHA}
    assert [c.id for c in studio.ana.list_comparisons()] == [studio.ana_cmp]
    assert [c.id for c in studio.ben.list_comparisons()] == [studio.ben_cmp]
    assert sorted(c.id for c in studio.teacher.list_comparisons()) == sorted([studio.ana_cmp, studio.ben_cmp])
    assert {c.owner for c in studio.teacher.list_comparisons()} == {ANA.id, BEN.id}
    assert studio.ana.counts() == (2, 1)
    assert studio.teacher.counts() == (1, 2)
    # The shared clip's comparison count is of the comparisons the viewer may see.
    assert {c.sha256: c.comparisons for c in studio.ana.list_clips()}[T_SHA] == 1
    assert {c.sha256: c.comparisons for c in studio.teacher.list_clips()}[T_SHA] == 2
    assert studio.ana.label_values()["dancer"] == ["Ana", "Teacher"]
    assert [r.dancer for r in studio.teacher.history(ROUTINE, "Ben")] == ["Ben"]
    assert studio.ana.history(ROUTINE, "Ben") == []


def test_guessing_another_students_ids_and_hashes_gets_nothing(studio: Studio) -> None:
    ana = studio.ana
    # Every comparison id there is (and beyond): only Ana's own opens.
    opened = []
    for cid in range(1, max(studio.ana_cmp, studio.ben_cmp) + 5):
        try:
            ana.get_report(cid)
            opened.append(cid)
        except LibraryError as exc:
            assert str(exc) == f"no comparison {cid} in the library"   # the same as a missing one
    assert opened == [studio.ana_cmp]
    # Ben's clip by its whole hash, a prefix, its video, its poses, its comparisons: "no clip",
    # word for word what a hash that exists nowhere gets.
    nowhere = "c3" * 32
    for key in (B_SHA, B_SHA[:6], B_SHA[:20]):
        for call in (ana.find_clip, ana.video_file, ana.pose_file, ana.delete_clip,
                     lambda k: ana.list_comparisons(sha256=k), lambda k: ana.set_labels(k, dancer="x")):
            with pytest.raises(LibraryError) as got:
                call(key)
            with pytest.raises(LibraryError) as missing:
                call(nowhere[:len(key)])
            assert _message(got, key) == _message(missing, nowhere[:len(key)])
    # Ben's files are still there, untouched; Ana's own and the shared teacher's are reachable.
    assert studio.files["ben"].is_file()
    assert studio.admin.video_file(B_SHA) == studio.files["ben"]
    assert ana.video_file(A_SHA) == studio.files["ana"]
    assert ana.video_file(T_SHA) == studio.files["teacher"]
    assert ana.pose_file(A_SHA).name == f"{A_SHA}-fp.h5"
    assert ana.get_report(studio.ana_cmp)["student"]["sha256"] == A_SHA


def test_a_teacher_sees_no_other_teachers_students(studio: Studio) -> None:
    other = studio.admin.as_user(User("other@studio.example", "teacher"))
    assert _shas(other) == {T_SHA}            # the routine is shared with everyone
    assert other.list_comparisons() == []     # but the attempts at it are the sharing teacher's to see
    with pytest.raises(LibraryError, match="no comparison"):
        other.get_report(studio.ana_cmp)


def test_a_shared_clip_can_be_used_but_not_changed_by_students(studio: Studio) -> None:
    for call in (lambda: studio.ana.set_labels(T_SHA, dancer="Ana"), lambda: studio.ana.delete_clip(T_SHA)):
        with pytest.raises(LibraryError, match="shared with you"):
            call()
    assert studio.ana.find_clip(T_SHA).dancer == "Teacher"
    assert studio.files["teacher"].is_file()
    with pytest.raises(LibraryError, match="Only a teacher"):
        studio.ana.share_routine(ROUTINE, BEN.id)
    with pytest.raises(LibraryError, match="no share"):
        studio.ana.unshare(studio.teacher.list_shares()[0].id)


def test_sharing_with_one_student_and_withdrawing_it(studio: Studio) -> None:
    (share,) = studio.teacher.list_shares()
    studio.teacher.unshare(share.id)
    assert _shas(studio.ana) == {A_SHA}
    assert studio.teacher.list_comparisons() == []
    shared = studio.teacher.share_routine(ROUTINE, [ANA.id, " "])
    assert [(s.routine, s.audience) for s in shared] == [(ROUTINE, ANA.id)]
    assert _shas(studio.ana) == {T_SHA, A_SHA}
    assert _shas(studio.ben) == {B_SHA}
    assert [c.id for c in studio.teacher.list_comparisons()] == [studio.ana_cmp]
    assert [s.audience for s in studio.ana.list_shares()] == [ANA.id]
    assert studio.ben.list_shares() == []
    with pytest.raises(LibraryError, match="whom"):
        studio.teacher.share_routine(ROUTINE, [])


def test_the_same_video_held_by_two_students_is_deleted_for_good_only_by_the_last(studio: Studio,
                                                                                tmp_path: Path) -> None:
    info, video = _stored(tmp_path, A_SHA, "ana")          # Ben uploads the very same video as Ana
    studio.ben.record_clip(info)
    assert A_SHA in _shas(studio.ben)
    first = studio.ana.delete_clip(A_SHA)
    assert (first.for_good, first.files, first.comparisons) == (False, (), 1)
    assert video.is_file() and A_SHA not in _shas(studio.ana) and A_SHA in _shas(studio.ben)
    assert studio.ana.list_comparisons() == []
    last = studio.ben.delete_clip(A_SHA)
    assert last.for_good and str(video) in last.files and not video.is_file()
    assert A_SHA not in _shas(studio.admin)


def test_storage_counts_the_users_stored_videos(studio: Studio) -> None:
    assert studio.ana.storage_bytes() == studio.files["ana"].stat().st_size
    assert studio.teacher.storage_bytes() == studio.files["teacher"].stat().st_size
    studio.files["ana"].unlink()
    assert studio.ana.storage_bytes() == 0


def test_rows_from_before_sign_in_are_the_admins(library: Library) -> None:
    library.record_comparison(make_report(), source="cli")
    assert library.counts() == (2, 1)
    assert library.as_user(ANA).counts() == (0, 0)
    with pytest.raises(LibraryError, match="administrator"):
        library.as_user(TEACHER).import_cache([])


@pytest.mark.parametrize("uid, role, error", [
    ("ana@x", "student", None),
    ("t", "teacher", None),
    ("ana@x", "guest", ValueError),
    ("", "student", ValueError),
    ("  ", "student", ValueError),
    (EVERYONE, "teacher", ValueError),
    ("x" * 321, "student", ValueError),
])
def test_user_values(uid: str, role: str, error) -> None:
    if error is None:
        assert User(uid, role).role == role
    else:
        with pytest.raises(error):
            User(uid, role)


def test_a_library_needs_a_user(db_url: str) -> None:
    with pytest.raises(TypeError):
        Library(db_url)          # type: ignore[call-arg]
    with Library(db_url, user=LOCAL_ADMIN) as lib, pytest.raises(TypeError, match="User"):
        lib.as_user("ana")       # type: ignore[arg-type]
