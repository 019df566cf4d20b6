"""What the citizen's letter says, built from the record: the sender, the date, the
coordinator's contact details, what the citizen can do, who has looked at their data
since the last letter, and never anything internal; its forms and their media types."""

from __future__ import annotations

from pathlib import Path

import attrs
import orjson
import pytest

from oneplan.errors import InvalidInput, LetterConfigurationError
from oneplan.letter import Language, LetterFormat, Municipality, build_letter, render_letter
from tests.letter.story import (
    ANNE_PHONE,
    AS_OF,
    CITIZENS,
    INTERNAL,
    MUNICIPALITY,
    PLAN,
    STAFF,
    access_log,
    household_letter,
    letter,
    plan_with_internals,
)


def test_the_municipality_sends_it_on_the_date_of_the_letter() -> None:
    danish, english = letter(Language.DA), letter(Language.EN)

    assert danish.sender is not None
    assert (danish.sender.name, danish.sender.address) == (
        "Furesø Kommune",
        ("Stiager 2", "3500 Værløse"),
    )
    assert (danish.date_text, english.date_text) == ("12. marts 2026", "12 March 2026")
    assert danish.subject == "Din plan \N{EN DASH} Mette Hansen"
    assert danish.recipients == ("Mette Hansen",)
    html = danish.html()
    assert "<title>Din plan \N{EN DASH} Mette Hansen</title>" in html
    assert '<time datetime="2026-03-12">12. marts 2026</time>' in html
    assert "<address>Stiager 2<br>3500 Værløse</address>" in html


def test_without_a_configured_sender_the_coordinators_digital_post_unit_sends_it() -> None:
    unconfigured = letter(sender=Municipality())

    assert unconfigured.sender is not None
    assert unconfigured.sender.name == "Furesø Kommune, Jobcenter Furesø"
    assert unconfigured.sender.address == ()


def test_the_coordinator_is_reached_by_phone_e_mail_and_digital_post_in_opening_hours() -> None:
    coordinator = letter().coordinator

    assert coordinator is not None
    assert (coordinator.name, coordinator.sector, coordinator.title) == (
        "Anne Thomsen",
        "Jobcenteret",
        "tværmyndig sagsbehandler",
    )
    assert coordinator.phone == ANNE_PHONE
    assert coordinator.email == "anne.t@furesoe.dk"
    assert coordinator.opening_hours == "man-tors 9-15, fre 9-12"
    assert coordinator.digital_post_how == (
        "Skriv til Furesø Kommune, Jobcenter Furesø på borger.dk eller i appen Digital Post."
    )
    html = letter().html()
    assert f'<a href="tel:72360123">{ANNE_PHONE}</a>' in html
    assert '<a href="mailto:anne.t@furesoe.dk">anne.t@furesoe.dk</a>' in html


def test_a_coordinator_not_in_the_staff_directory_is_named_without_contact_details() -> None:
    unlisted = build_letter(plan_with_internals(), CITIZENS, as_of=AS_OF, staff={})

    assert unlisted.coordinator is not None
    assert unlisted.coordinator.name == "Anne Thomsen"
    assert unlisted.coordinator.phone == ""
    assert unlisted.access is None  # no access log given: the section is left out
    assert "Hvem har set dine oplysninger" not in unlisted.html()


def test_it_says_what_the_citizen_can_do() -> None:
    headings = [a.heading for a in letter(Language.EN).actions]

    assert headings == [
        "Comment on the plan",
        "Ask for a meeting",
        "Withdraw from the plan",
        "Complain",
    ]
    assert "Datatilsynet" in letter().actions[-1].text


def test_it_says_who_has_looked_at_the_data_since_the_last_letter() -> None:
    access = letter().access

    assert access is not None
    assert access.intro.startswith("Siden vi sendte dig planen den 15. februar 2026")
    assert [(line.who, line.count) for line in access.lines] == [
        ("Lars Nielsen, Socialforvaltningen", 2),  # not the read before the last letter
        ("Sofie Berg, Sundhedsområdet", 1),
        ("Anne Thomsen, Jobcenteret", 1),
        ("En revisor (rev-7)", 1),
        ("Anne Thomsen, Jobcenteret", 1),
    ]
    lars, sofie, export, auditor, journey = access.lines
    assert lars.when == "20. februar 2026 \N{EN DASH} 2. marts 2026 (2 gange)"
    assert (lars.what, lars.why) == (
        "Så den del af din plan, som socialforvaltningen må se",
        "Dit samtykke",
    )
    assert sofie.why == "Deres egen indsats for dig"
    assert export.what == "Sendte din plan til EOJ Nordsjælland"
    assert auditor.why == "Revision (Kommunestyrelsesloven § 42)"
    assert journey.what == "Så dit forløb (alle kontakter og ændringer)"


def test_the_first_letter_counts_from_the_plans_start_and_may_say_nobody_looked() -> None:
    never_sent = attrs.evolve(plan_with_internals(), delivered=())
    first = build_letter(never_sent, CITIZENS, as_of=AS_OF, staff=STAFF, access=access_log())
    quiet = build_letter(never_sent, CITIZENS, as_of=AS_OF, staff=STAFF, access={})

    assert first.access is not None
    assert first.access.intro.startswith("Siden planen blev lavet den 14. januar 2026")
    assert first.access.lines[0].count == 3  # the read of 10 February counts now
    assert quiet.access is not None
    assert quiet.access.lines == ()
    assert "Ingen har set dine oplysninger i planen i den periode." in quiet.html()


def test_a_household_letter_shows_no_read_of_one_members_data_alone() -> None:
    access = household_letter().access

    assert access is not None
    assert "Så dit forløb (alle kontakter og ændringer)" not in [x.what for x in access.lines]
    assert household_letter().subject == "Jeres plan \N{EN DASH} Mette Hansen og Jonas Hansen"
    assert "Hvem har set jeres oplysninger" in household_letter().html()


@pytest.mark.parametrize("language", list(Language))
def test_it_never_shows_notes_costs_decisions_reasons_or_internal_ids(language: Language) -> None:
    shown = letter(language)
    data = shown.as_dict()
    assert data.pop("plan_id") == str(PLAN)  # the data names the plan; the letter does not
    forms = [shown.html(), shown.markdown(), orjson.dumps(data).decode()]

    for form in forms:
        for text in INTERNAL:
            assert text not in form, (language, text)


def test_the_english_letter_marks_the_records_danish_words_with_their_language() -> None:
    html = letter(Language.EN).html()

    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<blockquote class="own-words" lang="da">' in html
    assert '<h3>Goal 1: <span lang="da">Mette arbejder 15 timer om ugen' in html
    assert (
        '<dd>\N{LEFT DOUBLE QUOTATION MARK}<span lang="da">Fysioterapi mod rygsmerter</span>'
        in html
    )
    assert '<dd><span lang="da">man-tors 9-15, fre 9-12</span></dd>' in html
    marked = html.count(' lang="da"')
    assert marked > 10
    assert letter(Language.DA).html().count(" lang=") == 1  # the page's own
    english_record = attrs.evolve(MUNICIPALITY, record_language=Language.EN)
    assert letter(Language.EN, sender=english_record).html().count(" lang=") == 1
    assert letter(Language.DA, sender=english_record).html().count(' lang="en"') == marked


def test_the_json_document_is_the_letters_parts_as_data() -> None:
    data = orjson.loads(render_letter(letter(), "json")[0])

    assert data["plan_id"] == str(letter().plan_id)
    assert (data["language"], data["record_language"], data["date"]) == ("da", "da", "2026-03-12")
    assert data["sender"] == {"name": "Furesø Kommune", "address": ["Stiager 2", "3500 Værløse"]}
    assert data["coordinator"]["phone"] == ANNE_PHONE
    assert data["wishes"][0]["paragraphs"][0].startswith("Jeg vil gerne arbejde med planter")
    assert [g["label"] for g in data["goals"]] == ["Mål 1", "Delmål 1.1", "Mål 2"]
    assert data["next_meeting"] == "2026-04-14"
    assert data["access"]["since"] == "2026-02-15"
    assert data["access"]["lines"][0]["first"] == "2026-02-20"
    assert "logo" not in data


@pytest.mark.parametrize(
    ("format", "media_type", "start"),
    [
        ("markdown", "text/markdown; charset=utf-8", b"# Din plan"),
        ("html", "text/html; charset=utf-8", b"<!DOCTYPE html>"),
        ("json", "application/json", b"{"),
    ],
)
def test_render_letter_gives_the_bytes_and_media_type_of_each_form(
    format: str, media_type: str, start: bytes
) -> None:
    content, media = render_letter(letter(), format)

    assert media == media_type
    assert content.startswith(start)
    assert LetterFormat(format).media_type == media_type


def test_render_letter_refuses_an_unknown_format() -> None:
    with pytest.raises(InvalidInput) as refused:
        render_letter(letter(), "docx")

    assert refused.value.errors[0]["loc"] == ("format",)


def test_the_sender_comes_from_configuration(tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    env = {
        "ONEPLAN_MUNICIPALITY_NAME": "  Furesø   Kommune ",
        "ONEPLAN_MUNICIPALITY_ADDRESS": "Stiager 2; 3500 Værløse ;",
        "ONEPLAN_MUNICIPALITY_LOGO": str(logo),
        "ONEPLAN_RECORD_LANGUAGE": "en",
    }

    sender = Municipality.from_env(env)

    assert sender == Municipality(
        name="Furesø Kommune",
        address=("Stiager 2", "3500 Værløse"),
        logo=logo,
        record_language=Language.EN,
    )
    assert Municipality.from_env({}) == Municipality()
    assert not Municipality.from_env({}).configured
    with_logo = letter(sender=sender)
    assert with_logo.logo is not None
    assert with_logo.logo.startswith("data:image/svg+xml;base64,")
    assert f'<img class="logo" src="{with_logo.logo}" alt="Furesø Kommune">' in with_logo.html()


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("ONEPLAN_MUNICIPALITY_LOGO", "/nonexistent/logo.png"),
        ("ONEPLAN_MUNICIPALITY_LOGO", "README.md"),
        ("ONEPLAN_RECORD_LANGUAGE", "fr"),
    ],
)
def test_a_misconfigured_sender_is_refused_naming_the_setting(setting: str, value: str) -> None:
    with pytest.raises(LetterConfigurationError) as refused:
        Municipality.from_env({"ONEPLAN_MUNICIPALITY_NAME": "Furesø Kommune", setting: value})

    assert refused.value.ids == {"setting": setting}
    assert setting in str(refused.value)


def test_what_people_wrote_cannot_change_the_letters_structure() -> None:
    hostile = "<script>alert(1)</script> **bold** [link](http://x)"
    plan = attrs.evolve(plan_with_internals(), wishes={next(iter(CITIZENS)): f"# {hostile}"})
    staff = {"anne": attrs.evolve(STAFF["anne"], title=hostile)}
    shown = build_letter(plan, CITIZENS, as_of=AS_OF, staff=staff, access=access_log())

    html, markdown = shown.html(), shown.markdown()
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** [link](http://x)" in html
    assert r"> \# \<script\>alert(1)\</script\> \*\*bold\*\* \[link\](http://x)" in markdown
