"""Sign-up: pseudonym rules, passphrase rules, recovery codes, argon2id."""

from __future__ import annotations


from tests.db import connect, raw_contents
import pytest

from tests.conftest import PASSPHRASE, Member, csrf_token, page_text


def post_register(client, pseudonym, passphrase=PASSPHRASE, confirm=None):
    token = csrf_token(client.get("/register").get_data(as_text=True))
    return client.post("/register", data={
        "csrf_token": token, "pseudonym": pseudonym, "passphrase": passphrase,
        "confirm": passphrase if confirm is None else confirm})


def test_sign_up_shows_eight_codes_once_and_signs_in(client, db_path):
    r = post_register(client, "Quiet Heron")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    m = Member(client, "Quiet Heron", PASSPHRASE)
    import re

    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", r.get_data(as_text=True))
    assert len(codes) == 8 and len(set(codes)) == 8
    assert m.is_signed_in()
    with connect(db_path) as con:
        stored = [row[0] for row in con.execute("SELECT code_hash FROM recovery_code")]
        (pw_hash,) = con.execute("SELECT passphrase_hash FROM member").fetchone()
    dump = raw_contents(db_path).decode(errors="replace")
    assert "passphrase_hash" in dump  # we are reading the right database
    assert len(stored) == 8
    for code in codes:
        assert code not in dump and code.replace("-", "") not in dump
    assert PASSPHRASE not in dump
    assert pw_hash.startswith("$argon2id$")
    # A fresh page load shows no codes again.
    assert "<code>" not in client.get("/").get_data(as_text=True)


def test_register_form_has_the_contract_fields(client):
    html = client.get("/register").get_data(as_text=True)
    for name in ("pseudonym", "passphrase", "confirm", "csrf_token"):
        assert f'name="{name}"' in html
    assert "email" not in html.lower().replace("e-mail address or phone", "")


def test_register_without_csrf_is_refused(client, db_path):
    r = client.post("/register", data={"pseudonym": "NoToken", "passphrase": PASSPHRASE, "confirm": PASSPHRASE})
    assert r.status_code == 400
    assert "expired" in page_text(r)
    with connect(db_path) as con:
        assert con.execute("SELECT count(*) FROM member").fetchone()[0] == 0


@pytest.mark.parametrize("name, message", [
    ("ab", "at least 3"),
    ("a" * 33, "at most 32"),
    ("", "choose a pseudonym"),
    ("   ", "choose a pseudonym"),
    ("sam@example.org", "looks like an e-mail"),
    ("sam.smith.gmail", "looks like an e-mail"),
    ("sam at example dot com", "looks like an e-mail"),
    ("07700 900123", "looks like a phone number"),
    ("+44 7700 900", "looks like a phone number"),
    ("call 555-0199-123", "looks like a phone number"),
    ("<script>", "isn't one of those"),
    ("name\u200bzero", "invisible or control"),
    ("abc\u202edcba", "invisible or control"),
    ("12345", "at least one letter"),
    ("Admin", "kept for the site"),
    ("Anonymous 3", "kept for the site"),
    ("m0derator", "kept for the site"),
])
def test_bad_pseudonyms_are_explained(client, name, message):
    r = post_register(client, name)
    assert r.status_code == 400
    assert message in page_text(r)


@pytest.mark.parametrize("taken, attempt", [
    ("Willow", "willow"),              # case
    ("Willow", "ＷＩＬＬＯＷ"),           # fullwidth (NFKC)
    ("Straße", "STRASSE"),             # casefold
    ("paypal", "pаypаl"),              # Cyrillic а
    ("Sam01", "SamOl"),                # digits that look like letters
    ("corn", "com"),                   # rn looks like m
    ("river_song", "River Song"),      # separators
    ("José", "Jose"),                  # accents
    ("Klm", "KIm"),                    # capital I reads as l
])
def test_same_or_look_alike_names_are_refused(app, new_member, taken, attempt):
    new_member(taken)
    r = post_register(app.test_client(), attempt)
    assert r.status_code == 400
    assert "looks just like it, is taken" in page_text(r)


def test_names_in_other_scripts_are_welcome(new_member):
    for name in ("Amani", "Zoë Ng", "Ngozi_Obi", "Дмитрий", "محمد", "小林さん", "KIm Lee", "Ana-Lúcia"):
        new_member(name)


@pytest.mark.parametrize("passphrase, confirm, message", [
    ("short one", None, "at least 12"),
    ("x" * 257, None, "at most 256"),
    ("password1234", None, "common passwords"),
    ("Password123456!", None, "common passwords"),
    ("qwertyuiopasdf", None, "common passwords"),
    ("correct horse battery staple", None, "common passwords"),
    ("aaaaaaaaaaaaaaaa", None, "repeats the same few"),
    ("long enough phrase", "long enough phrase!", "don't match"),
    ("my name is heron blue", None, "shouldn't contain your pseudonym"),
])
def test_weak_passphrases_are_explained(client, passphrase, confirm, message):
    r = post_register(client, "heron blue", passphrase, confirm)
    assert r.status_code == 400
    assert message in page_text(r)


def test_passphrase_is_verified_exactly_as_typed(app, new_member):
    tricky = "  spaces, ümlauts & émoji 🌱 kept  "
    m = new_member("exact-typist", tricky)
    m.logout()
    assert m.login("spaces, ümlauts & émoji 🌱 kept").status_code == 400  # trimmed: wrong
    assert m.login(tricky).status_code == 302


def test_unicode_passphrase_round_trips(new_member):
    m = new_member("polyglot", "пароль для входа 安全な合言葉")
    m.logout()
    assert m.login().status_code == 302


def test_argon2_parameters_follow_config(app, db_path):
    from config import Config

    assert (Config.ARGON2_MEMORY_KIB, Config.ARGON2_TIME_COST, Config.ARGON2_PARALLELISM) == (19456, 2, 1)
    post_register(app.test_client(), "params-check")
    with connect(db_path) as con:
        (h,) = con.execute("SELECT passphrase_hash FROM member").fetchone()
    assert h.startswith("$argon2id$v=19$m=1024,t=1,p=1$")  # TestConfig's cheap parameters
