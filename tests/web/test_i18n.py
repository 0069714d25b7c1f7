"""The pages in the reader's language (issue 17): the browser's Accept-Language, the account's
choice (saved on the account page, with CSRF), `<html lang>` following it, English unchanged."""

from __future__ import annotations

import pytest

from qa_engine.store import audit_repo
from qa_engine.store import repositories as repo
from qa_engine.store.db import session_scope
from qa_engine.web.auth import SESSION_COOKIE
from tests.helpers import to_state
from tests.web.support import csrf_of, signed_in


def set_language(username: str, language: str | None) -> None:
    with session_scope() as s:
        user = repo.get_user_by_username(s, username)
        user.language = language
        s.add(user)


def language_of(username: str) -> str | None:
    with session_scope() as s:
        return repo.get_user_by_username(s, username).language


def test_the_sign_in_page_speaks_the_browsers_language(client):
    assert client.headers["accept-language"] == "en"  # the fixture's; a request's own wins
    page = client.get("/sign-in", headers={"Accept-Language": "cs-CZ,cs;q=0.9,en;q=0.5"})
    assert page.status_code == 200
    assert '<html lang="cs">' in page.text and page.headers["content-language"] == "cs"
    assert "<h1>Přihlásit se</h1>" in page.text
    assert '<label for="username">Uživatelské jméno</label>' in page.text
    assert 'účet nepotřebujete: <a href="/verify">ověřit zprávu</a>.' in page.text  # markup kept
    assert "zajišťování kvality mikrocertifikátů" in page.text  # the footer
    assert "Sign in" not in page.text and "Username" not in page.text


def test_english_stays_as_it_was(client):
    page = client.get("/sign-in")
    assert '<html lang="en">' in page.text
    assert "<h1>Sign in</h1>" in page.text and '<label for="password">Password</label>' in page.text
    assert (
        "Accounts are created by the alliance's QA office. To check a signed evaluation report "
        'you do not need an account: <a href="/verify">verify a report</a>.'
    ) in page.text
    assert "quality assurance of micro-credentials (ESG 2015" in page.text
    assert client.get("/sign-in", headers={"Accept-Language": "ja, en;q=0.5"}).text == page.text


def test_english_home_page_as_it_was(client, p):
    signed_in(client, "officer")
    home = client.get("/").text
    assert "<h1>Welcome, Olga Officer</h1>" in home
    assert "Signed in as officer · qa officer</p>" in home
    assert '<span title="qa officer">Olga Officer</span>' in home


def test_an_account_reads_its_language_and_switches_on_the_account_page(client, p):
    set_language("officer", "fr")
    signed_in(client, "officer")
    # the account's choice wins over the browser's
    home = client.get("/", headers={"Accept-Language": "cs"})
    assert '<html lang="fr">' in home.text
    assert "<h1>Bienvenue, Olga Officer</h1>" in home.text
    assert "Connecté en tant que officer · chargé(e) de qualité</p>" in home.text  # the role too
    assert ">Dossiers reçus</a>" in home.text and ">Tableau de bord</a>" in home.text
    assert "<title>Accueil · 4EU+ moteur d’assurance qualité</title>" in home.text
    account = client.get("/account/password")
    assert "<h1>Changer votre mot de passe</h1>" in account.text
    assert '<option value="fr" lang="fr" selected>Français</option>' in account.text
    assert "Au moins 10 caractères" in account.text  # the plural form of the count

    # without the CSRF token the choice is refused and nothing changes
    refused = client.post("/account/language", data={"language": "de"}, follow_redirects=False)
    assert refused.status_code == 403 and language_of("officer") == "fr"

    saved = client.post(
        "/account/language",
        data={"language": "de", "csrf_token": csrf_of(account.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/account/password"
    assert language_of("officer") == "de"
    after = client.get("/account/password")
    assert '<html lang="de">' in after.text and "<h1>Ihr Passwort ändern</h1>" in after.text
    assert "Ihre Sprache ist gespeichert." in after.text  # the message, in the new language
    assert '<option value="de" lang="de" selected>Deutsch</option>' in after.text
    assert "Mindestens 10 Zeichen" in after.text
    with session_scope() as s:
        user = repo.get_user_by_username(s, "officer")
        events = [e.action for e in audit_repo.events_for(s, "user", user.id)]
    assert "user.language_changed" in events

    # "Automatic": the browser's language again
    client.post(
        "/account/language",
        data={"language": "", "csrf_token": csrf_of(after.text)},
        follow_redirects=False,
    )
    assert language_of("officer") is None
    assert '<html lang="cs">' in client.get("/", headers={"Accept-Language": "cs"}).text
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "ja"}).text


def test_an_unknown_language_is_refused(client, p):
    csrf = signed_in(client, "officer")
    r = client.post("/account/language", data={"language": "tlh", "csrf_token": csrf})
    assert r.status_code == 422 and language_of("officer") is None


def test_without_a_choice_or_a_browser_language_the_institutions_language(client, p):
    del client.headers["accept-language"]  # the fixture's browser asks for English
    signed_in(client, "prov.uw")  # the University of Warsaw: Polish
    home = client.get("/")
    assert '<html lang="pl">' in home.text
    assert '<h2 id="waiting">Co na Ciebie czeka</h2>' in home.text
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en"}).text


def test_the_error_page_is_translated(client, p):
    set_language("officer", "it")
    signed_in(client, "officer")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert '<html lang="it">' in missing.text and "<h1>Non trovato</h1>" in missing.text
    assert "Vai alla pagina iniziale" in missing.text


def test_one_requests_language_does_not_leak_into_the_next(client, p):
    czech = client.get("/sign-in", headers={"Accept-Language": "cs"})
    english = client.get("/sign-in")
    assert "Přihlásit se" in czech.text and "Přihlásit se" not in english.text


@pytest.mark.parametrize("lang", ["fr", "de", "cs", "pl", "it", "da"])
def test_every_language_renders_the_home_page(client, p, lang):
    set_language("admin", lang)
    signed_in(client, "admin")
    home = client.get("/")
    assert home.status_code == 200 and f'<html lang="{lang}">' in home.text
    assert "Verify a report" not in home.text and "Shortcuts" not in home.text
    client.cookies.delete(SESSION_COOKIE)


def test_the_home_pages_counts_take_the_languages_plural_forms(client, p):
    with session_scope() as s:
        to_state(s, p, "assignment", index=0)
        to_state(s, p, "assignment", index=3)
    signed_in(client, "officer")
    assert "2 cases waiting for reviewers" in client.get("/").text  # English as before
    lines = {
        lang: client.get("/", headers={"Accept-Language": lang}).text
        for lang in ("cs", "pl", "de", "fr")
    }
    assert "2 případy čekají na posuzovatele" in lines["cs"]
    assert "2 sprawy czekają na recenzentów" in lines["pl"]
    assert "2 Verfahren warten auf Gutachter" in lines["de"]
    assert "2 dossiers en attente d’experts" in lines["fr"]


def test_the_sign_in_pages_messages_are_translated(client, p):
    cs = {"Accept-Language": "cs"}
    form = client.get("/sign-in", headers=cs)
    refused = client.post(
        "/sign-in",
        data={"username": "officer", "password": "wrong", "csrf_token": csrf_of(form.text)},
        headers=cs,
    )
    assert refused.status_code == 401
    assert "<p>Uživatelské jméno nebo heslo není správné.</p>" in refused.text
    assert (
        "Sie sind abgemeldet."
        in client.get("/sign-in?signed_out=true", headers={"Accept-Language": "de"}).text
    )
    english = client.get("/sign-in?signed_out=true").text
    assert "You are signed out." in english


def test_the_footer_switches_the_language_and_returns_to_the_same_page(client, p):
    signed_in(client, "officer")
    page = client.get("/verify?report=abc")
    assert '<select id="footer-language" name="language">' in page.text
    assert 'name="next" value="/verify?report=abc"' in page.text
    r = client.post(
        "/account/language",
        data={"language": "pl", "next": "/verify?report=abc", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/verify?report=abc"
    again = client.get(r.headers["location"])
    assert '<html lang="pl">' in again.text
    assert '<option value="pl" lang="pl" selected>Polski</option>' in again.text
    assert language_of("officer") == "pl"
    # the session goes on: same person, no new sign-in
    assert "Olga Officer" in again.text


def test_nobody_signed_in_sees_no_switch(client):
    assert 'id="footer-language"' not in client.get("/sign-in").text
