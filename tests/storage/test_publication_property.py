"""Property: for random cases with random categories and answers, no exempt entry, nor any of its
files, ever appears in anything published (site pages, dip.json, dip.csv, downloads)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bootstrap import make_ctx
from bot.channels.base import IncomingFile
from bot.config import Settings
from bot.services import cases, drafting, opd_work, publication, review, uploads
from bot.sop import Role
from bot.workdays import Calendar
from storage.db import Database
from storage.files import FileStore

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Pontianak"))


class Bytes:
    """A FileSource serving given bytes by file id."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def chunks(self, file_id: str) -> AsyncIterator[bytes]:
        yield self.files[file_id]


# Each entry: (category index 0-3, answer: documents | not_held | exempt)
entries_strategy = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(["documents", "not_held", "exempt"])),
    min_size=1,
    max_size=6,
)


async def run_case(plan: list[tuple[int, str]], root: Path) -> tuple[set[str], set[str], Path]:
    db = await Database.open(root / "db.sqlite3")
    ctx = make_ctx(settings=Settings(data_dir=root / "data", public_base_url="https://ppid.example.id"),
              db=db, calendar=Calendar(), files=FileStore(root / "data" / "documents"),
              clock=lambda: NOW)  # fmt: skip
    try:
        async with db.transaction() as uow:
            await uow.opds.upsert("DINKES", "Dinas Kesehatan")
            opd = await uow.opds.by_code("DINKES")
            assert opd is not None
            ids = {}
            for ext, (role, opd_id) in enumerate(
                [(Role.PEJABAT, None), (Role.UTAMA, None), (Role.PENDUKUNG, opd.id)]
            ):
                ids[role] = await uow.users.add(name=role.value, role=role, opd_id=opd_id,
                                                channel="telegram", external_id=str(ext),
                                                chat_id=str(ext), now=NOW)  # fmt: skip
            await uow.commit()
            users = {r: await uow.users.get(i) for r, i in ids.items()}
        pejabat, utama, opd_user = users[Role.PEJABAT], users[Role.UTAMA], users[Role.PENDUKUNG]
        assert pejabat and utama and opd_user
        (view,) = await cases.create_round(ctx, pejabat, "Uji", [opd.id])
        case_id = view.case.id
        for i, (category, _) in enumerate(plan):
            await drafting.add_entry(ctx, pejabat, case_id, f"JUDUL-{i}-RAHASIA-{category}",
                                     f"RINGKASAN-{i}", category)  # fmt: skip
        v = await cases.view(ctx, case_id)
        await drafting.send_to_utama(ctx, pejabat, case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        await review.approve_step2(ctx, utama, case_id, v.case.version)
        source = Bytes()
        secret_titles: set[str] = set()
        secret_hashes: set[str] = set()
        v = await cases.view(ctx, case_id)
        for entry, (category, answer) in zip(v.entries, plan, strict=True):
            if answer == "exempt":
                await opd_work.propose_exempt(ctx, opd_user, entry.id, "UK-1", date(2030, 1, 1))
            elif answer == "not_held":
                await opd_work.declare_not_held(ctx, opd_user, entry.id, "Tidak ada")
            data = b"%PDF-1.4\n" + f"isi {entry.id} {answer} {category}".encode()
            if answer == "documents" or category == 3:
                file_id = f"f{entry.id}"
                source.files[file_id] = data
                if answer == "documents":
                    await uploads.receive(ctx, opd_user, source,
                                          IncomingFile(file_id, f"berkas-{entry.id}.pdf",
                                                       "application/pdf", len(data)),
                                          case_id=case_id, entry_id=entry.id)  # fmt: skip
            if answer == "exempt" or category == 3:
                secret_titles.add(entry.title)
                secret_hashes.add(hashlib.sha256(data).hexdigest())
        v = await cases.view(ctx, case_id)
        await opd_work.send_to_utama(ctx, opd_user, case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        await review.approve_step4(ctx, utama, case_id, v.case.version)
        v = await cases.view(ctx, case_id)
        await publication.publish_to_site(ctx, pejabat, case_id, v.case.version)
        return secret_titles, secret_hashes, ctx.settings.web_dir / "current"
    finally:
        await db.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=entries_strategy)
def test_no_exempt_entry_or_file_ever_reaches_the_public_site(plan: list[tuple[int, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        titles, hashes, site = asyncio.run(run_case(plan, Path(tmp)))
        # Following `berkas`, the documents' folder the generations share.
        published = [
            Path(folder) / name
            for folder, _, names in os.walk(site.resolve(), followlinks=True)
            for name in names
        ]
        assert any(p.name == "dip.json" for p in published)
        for path in published:
            content = path.read_bytes()
            for title in titles:
                assert title.encode() not in content, (title, path)
            for sha in hashes:
                assert sha.encode() not in content and sha not in str(path), (sha, path)
            assert hashlib.sha256(content).hexdigest() not in hashes, path
