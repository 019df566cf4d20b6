"""The letter through the application, on the demo's record: read through a session
(``citizen_letter``), checked and logged like the citizen's plan, with the coordinator's
contact details from the staff directory and who has looked since the plan was last
delivered; and on the command line, ``oneplan plan show --format pdf --out`` and
``--format json``."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import orjson
import pytest
from typer.testing import CliRunner

from oneplan import DeliveryChannel, DisclosureRefused, OnePlan, Principal
from oneplan.cli import app as cli
from oneplan.demo import run_demo
from oneplan.letter import Language, Municipality
from tests.builders import acting, auditing, record
from tests.conftest import FixedClock
from tests.letter.conftest import require_modules

ANNE = Principal.staff("anne.t")
LARS = Principal.staff("lars.s")
SENDER = {"ONEPLAN_MUNICIPALITY_NAME": "Furesø Kommune", "ONEPLAN_MUNICIPALITY_ADDRESS": ""}


@pytest.fixture
def demo(clock: FixedClock) -> Iterator[tuple[OnePlan, UUID]]:
    with OnePlan.open("memory://", clock=clock) as app:
        yield app, run_demo(app, lambda _: None)


def letters_logged(app: OnePlan, citizen: UUID) -> list[str]:
    log = auditing(app).access_log(citizen)
    return [e.access_id.hex for e in log.entries if e.what == "citizen-plan"]


def test_the_coordinator_reads_the_letter_with_her_contact_details_and_it_is_logged(
    demo: tuple[OnePlan, UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, plan = demo
    monkeypatch.setenv("ONEPLAN_MUNICIPALITY_NAME", "Furesø Kommune")
    monkeypatch.setenv("ONEPLAN_MUNICIPALITY_ADDRESS", "Stiager 2;3500 Værløse")
    mette = record(app).plan(plan).citizen_ids[0]
    before = letters_logged(app, mette)

    letter = acting(app, ANNE).citizen_letter(plan)

    assert letter.sender is not None
    assert (letter.sender.name, letter.sender.address) == (
        "Furesø Kommune",
        ("Stiager 2", "3500 Værløse"),
    )
    assert letter.subject == "Jeres plan \N{EN DASH} Mette Hansen og Jonas Hansen"
    assert letter.coordinator is not None
    assert (letter.coordinator.name, letter.coordinator.title, letter.coordinator.phone) == (
        "Anne Thomsen",
        "tværmyndig sagsbehandler",
        "72 36 00 00",
    )
    assert letter.coordinator.email == "anne.t@furesoe.dk"
    assert letter.goals[0].description == "I arbejde 20 timer om ugen"
    assert len(letters_logged(app, mette)) == len(before) + 1
    entry = next(
        e for e in reversed(auditing(app).access_log(mette).entries) if e.what == "citizen-plan"
    )
    assert entry.reader.id == "anne.t"
    assert entry.basis == "staff holding the plan"


def test_the_letter_says_who_has_looked_since_the_plan_was_last_delivered(
    demo: tuple[OnePlan, UUID],
) -> None:
    app, plan = demo
    acting(app, LARS).sector_view(plan)  # social services read the plan after the letter

    letter = acting(app, ANNE).citizen_letter(plan, language=Language.EN)

    assert letter.access is not None
    assert letter.access.intro.startswith("Since we sent you the plan on 9 July 2026")
    [lars] = [line for line in letter.access.lines if line.who.startswith("Lars Skov")]
    assert lars.what == "Looked at the part of your plan that social services may see"
    assert lars.why == "Your consent and their own intervention for you"

    acting(app, ANNE).deliver_plan(plan_id=plan, channel=DeliveryChannel.DIGITAL_POST)
    after = acting(app, ANNE).citizen_letter(plan, language=Language.EN)

    assert after.access is not None
    assert after.access.intro.startswith("Since we sent you the plan on 1 November 2026")
    assert not [line for line in after.access.lines if line.who.startswith("Lars Skov")]


def test_the_english_letter_of_the_demo_shows_its_danish_record_marked_as_danish(
    demo: tuple[OnePlan, UUID],
) -> None:
    app, plan = demo

    html = (
        acting(app, ANNE)
        .citizen_letter(plan, language="en", sender=Municipality(name="Furesø Kommune"))
        .html()
    )

    assert '<html lang="en">' in html
    assert '<h3><span lang="da">Fysioterapi mod rygsmerter</span></h3>' in html
    assert '<h3>Goal 1: <span lang="da">I arbejde 20 timer om ugen</span></h3>' in html


def test_staff_outside_the_plan_are_refused_and_nothing_is_logged(
    demo: tuple[OnePlan, UUID],
) -> None:
    app, plan = demo
    mette = record(app).plan(plan).citizen_ids[0]
    before = letters_logged(app, mette)

    with pytest.raises(DisclosureRefused) as refused:
        acting(app, Principal.staff("hanne.b")).citizen_letter(plan)

    assert refused.value.rule == "citizen_plan_to_the_citizen_or_those_holding_it"
    assert letters_logged(app, mette) == before


# --- the command line ------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, UUID]:
    path = tmp_path_factory.mktemp("letter") / "demo.db"
    with OnePlan.open(f"sqlite:///{path}") as app:
        plan_id = run_demo(app, lambda _: None)
    return str(path), plan_id


def run(*args: str) -> tuple[int, bytes, str]:
    env = {"ONEPLAN_PRINCIPAL": None, **SENDER}
    result = runner.invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout_bytes, result.stderr


def test_plan_show_writes_the_letter_as_a_pdf(demo_db: tuple[str, UUID], tmp_path: Path) -> None:
    require_modules("weasyprint", "pypdf")
    import pypdf

    db, plan = demo_db
    out = tmp_path / "plan.pdf"

    code, stdout, err = run(
        "plan", "show", str(plan), "--db", db, "--as", "staff:anne.t", "--format", "pdf",
        "--out", str(out),
    )  # fmt: skip

    assert code == 0, err
    assert stdout == b""
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Jeres plan \N{EN DASH} Mette Hansen og Jonas Hansen" in text
    assert "Jeg vil gerne arbejde med mennesker igen, og der skal være ro derhjemme." in text
    assert "72 36 00 00" in text
    assert "Furesø Kommune" in text
    for internal in ("tog bussen alene tre uger i træk", "Jobtræningen begynder nu", "62000"):
        assert internal not in text


def test_plan_show_gives_the_letters_parts_as_json(demo_db: tuple[str, UUID]) -> None:
    db, plan = demo_db

    code, stdout, err = run(
        "plan", "show", str(plan), "--db", db, "--as", "staff:anne.t", "--format", "json",
        "--language", "en",
    )  # fmt: skip

    assert code == 0, err
    document = orjson.loads(stdout)
    assert document["plan_id"] == str(plan)
    assert (document["language"], document["record_language"]) == ("en", "da")
    assert document["sender"]["name"] == "Furesø Kommune"
    assert document["coordinator"]["phone"] == "72 36 00 00"
    assert document["recipients"] == ["Mette Hansen", "Jonas Hansen"]
    assert document["goals"][0]["description"] == "I arbejde 20 timer om ugen"
    assert "markdown" not in document


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "pdf"), "oneplan: a PDF is written to a file: add --out FILE\n"),
        (
            ("--format", "pdf", "--sector", "social", "--out", "x.pdf"),
            "oneplan: a sector view is shown as text or json; md, html and pdf are the letter's\n",
        ),
    ],
)
def test_plan_show_refuses_a_pdf_it_cannot_write(
    demo_db: tuple[str, UUID], args: tuple[str, ...], message: str
) -> None:
    db, plan = demo_db

    code, stdout, err = run("plan", "show", str(plan), "--db", db, "--as", "staff:lars.s", *args)

    assert (code, stdout, err) == (1, b"", message)
