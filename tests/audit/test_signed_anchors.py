"""Anchors signed with Ed25519: the municipality signs with its anchor signing key, an
auditor checks with the public key alone and cannot make one. A forged anchor (its head
changed, signed with another key, or made with the audit key while claiming Ed25519) is
refused with a typed error; anchors signed with the audit key (HMAC) still verify with
the audit key."""

from __future__ import annotations

import base64
import random
import secrets
import shutil
from pathlib import Path

import attrs
import orjson
import pytest
from typer.testing import CliRunner

from oneplan import (
    AnchorInvalid,
    AnchorPublicKey,
    AnchorSignatureInvalid,
    Keys,
    OnePlan,
    VerificationStatus,
    verify_read_only,
)
from oneplan.audit import Anchor, AnchorSigningKey, Breach, Verifier, make_anchor
from oneplan.audit.chain import ChainKey
from oneplan.cli import app as cli
from oneplan.demo import run_demo
from tests.audit.logs import MADE_AT, MemoryLog, chained_log, fresh_key

runner = CliRunner()


def signing_key() -> AnchorSigningKey:
    return AnchorSigningKey(secrets.token_bytes(32))


def signed_log(seed: str) -> tuple[MemoryLog, ChainKey, AnchorSigningKey, Anchor]:
    rng = random.Random(seed)
    key = fresh_key(rng)
    log = chained_log(key, rng, events=40, streams=5)
    signer = signing_key()
    return log, key, signer, make_anchor(log, key, made_at=MADE_AT, signing_key=signer)


def resigned(anchor: Anchor, **changes: object) -> Anchor:
    """``anchor`` with ``changes``, its signature kept (what a forger edits by hand)."""
    return attrs.evolve(anchor, **changes)  # type: ignore[arg-type]


# --- the anchor itself -------------------------------------------------------------------


def test_an_ed25519_anchor_names_its_signing_key_and_round_trips(tmp_path: Path) -> None:
    _, key, signer, anchor = signed_log("round trip")
    path = tmp_path / "anchor.json"

    anchor.write(path)
    data = orjson.loads(path.read_bytes())
    read = Anchor.read(path)

    assert data["format"] == "oneplan-audit-anchor/2"
    assert data["signature_algorithm"] == "ed25519"
    assert data["signing_key_id"] == signer.key_id
    assert data["key_id"] == key.key_id
    assert len(bytes.fromhex(data["signature"])) == 64
    assert read == anchor
    read.check_signature(public_key=signer.public_key)
    assert not read.signed_by(key)  # the audit key does not make or check it


def test_the_public_key_round_trips_through_a_pem_file(tmp_path: Path) -> None:
    signer = signing_key()
    path = tmp_path / "anchor-public.pem"

    signer.public_key.write(path)

    assert path.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert AnchorPublicKey.read(path).key_id == signer.key_id
    with pytest.raises(FileExistsError):
        signer.public_key.write(path)


def test_what_is_not_an_ed25519_public_key_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    other = tmp_path / "ec.pem"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    with pytest.raises(AnchorInvalid, match="not a public key in PEM"):
        AnchorPublicKey.read(junk)
    with pytest.raises(AnchorInvalid, match="not Ed25519"):
        AnchorPublicKey.read(other)
    with pytest.raises(AnchorInvalid, match="cannot read"):
        AnchorPublicKey.read(tmp_path / "missing.pem")


def test_an_anchor_verifies_with_the_public_key_alone() -> None:
    log, key, signer, anchor = signed_log("public only")

    with_key = Verifier(log, key, anchor=anchor, public_key=signer.public_key).run()
    without_key = Verifier(log, None, anchor=anchor, public_key=signer.public_key).run()

    assert with_key.status is VerificationStatus.INTACT
    assert with_key.anchor_signed_by == f"ed25519 {signer.key_id}"
    assert f"signature ed25519 {signer.key_id}" in with_key.summary()
    # without the audit key the MACs are not checked, but the anchor's signature is
    assert without_key.status is VerificationStatus.UNVERIFIED
    assert without_key.anchor_signed_by == f"ed25519 {signer.key_id}"


def test_an_ed25519_anchor_without_its_public_key_is_not_verified() -> None:
    log, key, signer, anchor = signed_log("no public key")

    result = Verifier(log, key, anchor=anchor).run()

    assert result.status is VerificationStatus.UNVERIFIED
    assert f"signed with Ed25519 key {signer.key_id}" in result.reason
    assert "--anchor-public-key" in result.reason


# --- forgeries ---------------------------------------------------------------------------


def forgeries(anchor: Anchor, key: ChainKey, signer: AnchorSigningKey) -> dict[str, Anchor]:
    forger = signing_key()
    head = bytes(b ^ 1 for b in anchor.head)
    own = attrs.evolve(anchor, signing_key_id=forger.key_id, signature=b"")
    as_genuine = attrs.evolve(anchor, head=head, signature=b"")
    hmac_claiming = key.mac(b"oneplan audit anchor v1\n", as_genuine.body())
    return {
        "changed head": resigned(anchor, head=head),
        "changed stream": resigned(
            anchor, streams={**anchor.streams, next(iter(anchor.streams)): (1, head)}
        ),
        "another key, named": attrs.evolve(
            own, signature=forger.sign(b"oneplan audit anchor v2 ed25519\n" + own.body())
        ),
        "another key, claiming the genuine one": attrs.evolve(
            as_genuine,
            signature=forger.sign(b"oneplan audit anchor v2 ed25519\n" + as_genuine.body()),
        ),
        "HMAC with the audit key, claiming Ed25519": attrs.evolve(
            as_genuine, signature=hmac_claiming + hmac_claiming
        ),
        "HMAC with the audit key, as an HMAC anchor": Anchor.make(
            key,
            chain_after=anchor.chain_after,
            position=anchor.position,
            seq=anchor.seq,
            head=anchor.head,
            streams=anchor.streams,
            made_at=MADE_AT,
        ),
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "changed head",
        "changed stream",
        "another key, named",
        "another key, claiming the genuine one",
        "HMAC with the audit key, claiming Ed25519",
        "HMAC with the audit key, as an HMAC anchor",
    ],
)
def test_a_forged_anchor_is_refused_with_a_typed_error(forgery: str, tmp_path: Path) -> None:
    log, key, signer, anchor = signed_log(f"forged {forgery}")
    forged = forgeries(anchor, key, signer)[forgery]
    path = tmp_path / "forged.json"
    forged.write(path)

    with pytest.raises(AnchorSignatureInvalid) as refused:
        Anchor.read(path).check_signature(public_key=signer.public_key)
    result = Verifier(log, key, anchor=Anchor.read(path), public_key=signer.public_key).run()

    assert refused.value.ids["position"] == anchor.position
    assert refused.value.ids["public_key_id"] == signer.key_id
    assert result.status is VerificationStatus.BROKEN
    assert result.finding is not None
    assert (result.finding.position, result.finding.breach) == (anchor.position, Breach.ANCHOR)
    assert result.finding.detail == str(refused.value)


def test_an_hmac_signature_in_an_ed25519_anchor_file_is_not_an_anchor(tmp_path: Path) -> None:
    """An HMAC is 32 bytes: a file claiming Ed25519 with one is refused as it is read."""
    _, key, _, anchor = signed_log("short signature")
    data = orjson.loads(anchor.to_json())
    data["signature"] = key.mac(b"oneplan audit anchor v1\n", anchor.body()).hex()
    path = tmp_path / "forged.json"
    path.write_bytes(orjson.dumps(data))

    with pytest.raises(AnchorInvalid, match="signature"):
        Anchor.read(path)


# --- anchors signed with the audit key, as before ----------------------------------------


def test_an_hmac_anchor_still_verifies_with_the_audit_key() -> None:
    rng = random.Random("hmac")
    key = fresh_key(rng)
    log = chained_log(key, rng, events=30, streams=4)
    anchor = make_anchor(log, key, made_at=MADE_AT)

    result = Verifier(log, key, anchor=anchor).run()

    assert orjson.loads(anchor.to_json())["format"] == "oneplan-audit-anchor/1"
    assert anchor.signed_by(key)
    anchor.check_signature(audit_key=key)
    assert result.status is VerificationStatus.INTACT
    assert result.anchor_signed_by == f"hmac-sha256 {key.key_id}"
    with pytest.raises(AnchorInvalid, match="needs that key's public key"):
        make_anchor(log, key, made_at=MADE_AT, signing_key=signing_key()).check_signature(
            audit_key=key
        )


def test_an_hmac_anchor_file_written_before_ed25519_reads_and_verifies() -> None:
    """An anchor file as oneplan wrote them before (format 1), kept byte for byte."""
    rng = random.Random("old file")
    key = fresh_key(rng)
    log = chained_log(key, rng, events=12, streams=2)
    old = orjson.loads(make_anchor(log, key, made_at=MADE_AT).to_json())
    assert set(old) == {
        "format",
        "key_id",
        "chain_after",
        "position",
        "seq",
        "head",
        "made_at",
        "streams",
        "signature",
    }

    result = Verifier(log, key, anchor=Anchor.from_json(orjson.dumps(old))).run()

    assert result.status is VerificationStatus.INTACT


# --- through the application and the command line ----------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Keys]:
    """A demo record, its key file (every key, the anchor signing key too) and keys."""
    folder = tmp_path_factory.mktemp("signed-anchors")
    keys = Keys.generate()
    keys.write(folder / "keys")
    with OnePlan.open(f"sqlite:///{folder / 'demo.db'}", keys=keys) as app:
        run_demo(app, lambda _: None)
    return folder / "demo.db", folder / "keys", keys


def auditor(keys: Keys) -> dict[str, str]:
    """An auditor's environment: the audit key only."""
    assert keys.audit_key is not None
    return {
        "ONEPLAN_KEY_FILE": "",
        "ONEPLAN_AUDIT_KEY": base64.urlsafe_b64encode(keys.audit_key).decode(),
        "ONEPLAN_MASTER_KEY": "",
        "ONEPLAN_CPR_KEY": "",
        "ONEPLAN_ANCHOR_SIGNING_KEY": "",
    }


def municipality(key_file: Path) -> dict[str, str]:
    return {**dict.fromkeys(Keys.VARIABLES.values(), ""), "ONEPLAN_KEY_FILE": str(key_file)}


def test_keys_new_makes_an_anchor_signing_key_and_its_public_key_is_written(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "oneplan.keys"
    made = runner.invoke(cli, ["keys", "new", str(key_file)])
    public = runner.invoke(
        cli,
        ["keys", "anchor-public-key", str(tmp_path / "public.pem")],
        env=municipality(key_file),
    )
    without = runner.invoke(
        cli, ["keys", "anchor-public-key", str(tmp_path / "none.pem")], env=auditor(Keys.generate())
    )

    assert made.exit_code == 0
    assert "ONEPLAN_ANCHOR_SIGNING_KEY=" in key_file.read_text()
    signer = Keys.read(key_file).anchor_signer()
    assert signer is not None
    assert public.exit_code == 0, public.stderr
    assert AnchorPublicKey.read(tmp_path / "public.pem").key_id == signer.key_id
    assert signer.key_id in public.stdout
    assert without.exit_code == 1
    assert "no anchor signing key is configured" in without.stderr


def test_the_municipality_anchors_with_ed25519_and_the_auditor_verifies_with_the_public_key(
    demo: tuple[Path, Path, Keys], tmp_path: Path
) -> None:
    db, key_file, keys = demo
    anchor, public = tmp_path / "anchor.json", tmp_path / "public.pem"
    signer = keys.anchor_signer()
    assert signer is not None
    signer.public_key.write(public)

    made = runner.invoke(
        cli, ["audit", "anchor", "--out", str(anchor), "--db", str(db)], env=municipality(key_file)
    )
    checked = runner.invoke(
        cli,
        [
            "audit",
            "verify",
            "--db",
            str(db),
            "--anchor",
            str(anchor),
            "--anchor-public-key",
            str(public),
        ],
        env=auditor(keys),
    )
    unchecked = runner.invoke(
        cli, ["audit", "verify", "--db", str(db), "--anchor", str(anchor)], env=auditor(keys)
    )

    assert made.exit_code == 0, made.stderr
    assert f"signed with Ed25519 key {signer.key_id}" in made.stdout
    assert Anchor.read(anchor).algorithm == "ed25519"
    assert checked.exit_code == 0, checked.stderr
    assert f"(signature ed25519 {signer.key_id})" in checked.stdout
    assert unchecked.exit_code == 2
    assert "--anchor-public-key" in unchecked.stderr


def test_a_forged_anchor_fails_verify_on_the_command_line(
    demo: tuple[Path, Path, Keys], tmp_path: Path
) -> None:
    db, _, keys = demo
    signer = keys.anchor_signer()
    assert signer is not None
    assert keys.audit_key is not None
    public = tmp_path / "public.pem"
    signer.public_key.write(public)
    with OnePlan.open(f"sqlite:///{db}", keys=keys) as app:
        genuine = app.make_audit_anchor()
    audit_key = ChainKey(keys.audit_key)
    hmac_anchor = attrs.evolve(genuine, algorithm="hmac-sha256", signing_key_id=None, signature=b"")
    forged = {
        "head": resigned(genuine, head=bytes(32)),
        "hmac": attrs.evolve(
            hmac_anchor, signature=audit_key.mac(b"oneplan audit anchor v1\n", hmac_anchor.body())
        ),
    }

    for name, anchor in forged.items():
        path = tmp_path / f"{name}.json"
        anchor.write(path)
        result = runner.invoke(
            cli,
            [
                "audit",
                "verify",
                "--db",
                str(db),
                "--anchor",
                str(path),
                "--anchor-public-key",
                str(public),
            ],
            env=auditor(keys),
        )
        assert result.exit_code == 1, name
        assert result.stderr.startswith(f"oneplan: position {genuine.position}: anchor: "), name


def test_the_application_checks_an_ed25519_anchor_with_its_configured_signing_key(
    demo: tuple[Path, Path, Keys], tmp_path: Path
) -> None:
    db, _, keys = demo
    copy = tmp_path / "demo.db"
    shutil.copy(db, copy)
    with OnePlan.open(f"sqlite:///{copy}", keys=keys) as app:
        anchor = app.make_audit_anchor()
        assert anchor.algorithm == "ed25519"
        assert app.verify_audit(anchor=anchor).status is VerificationStatus.INTACT
        another = signing_key().public_key
        refused = app.verify_audit(anchor=anchor, anchor_public_key=another)
    public = keys.anchor_public_key()

    read_only = verify_read_only(
        f"sqlite:///{copy}", audit_key=keys.audit_key, anchor=anchor, anchor_public_key=public
    )

    assert refused.finding is not None
    assert refused.finding.breach is Breach.ANCHOR
    assert read_only.status is VerificationStatus.INTACT
    assert read_only.anchor_signed_by == f"ed25519 {anchor.signing_key_id}"


def test_an_hmac_anchor_still_verifies_when_a_signing_key_is_configured_later(
    demo: tuple[Path, Path, Keys], tmp_path: Path
) -> None:
    db, _, keys = demo
    copy = tmp_path / "demo.db"
    shutil.copy(db, copy)
    before = attrs.evolve(keys, anchor_signing_key=None)
    with OnePlan.open(f"sqlite:///{copy}", keys=before) as app:
        old = app.make_audit_anchor()
    with OnePlan.open(f"sqlite:///{copy}", keys=keys) as app:
        result = app.verify_audit(anchor=old)

    assert old.algorithm == "hmac-sha256"
    assert result.status is VerificationStatus.INTACT
    assert result.anchor_signed_by == f"hmac-sha256 {old.key_id}"
