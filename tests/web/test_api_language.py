"""The API's messages follow Accept-Language (issue 17): `message` and `details` in the language
the client asks for, the `error` code the same stable English identifier in every language; a
client that asks for no language reads its account's language, then English."""

from __future__ import annotations

from tests.web.support import bearer, token_for
from tests.web.test_i18n import set_language


def _error(client, method: str, path: str, headers: dict[str, str], **kwargs):
    r = client.request(method, path, headers=headers, **kwargs)
    return r.status_code, r.json()


def test_the_message_follows_accept_language_and_the_code_stays(client, p):
    token = bearer(token_for("officer"))
    answers = {}
    for lang in ("en", "pl", "cs", "fr"):
        answers[lang] = _error(
            client, "GET", "/api/v1/no-such-thing", {**token, "Accept-Language": lang}
        )
    assert {status for status, _ in answers.values()} == {404}
    assert {body["error"] for _, body in answers.values()} == {"not_found"}
    assert answers["en"][1]["message"] == "there is nothing at this address"
    assert answers["pl"][1]["message"] == "pod tym adresem nic nie ma"
    assert answers["cs"][1]["message"] == "na této adrese nic není"
    assert answers["fr"][1]["message"] == "il n'y a rien à cette adresse"
    assert len({body["message"] for _, body in answers.values()}) == 4


def test_a_body_that_is_not_valid_is_refused_in_the_asked_language(client, p):
    token = bearer(token_for("officer"))
    en = _error(client, "POST", "/api/v1/cases", {**token, "Accept-Language": "en"}, json=[])
    de = _error(client, "POST", "/api/v1/cases", {**token, "Accept-Language": "de-AT"}, json=[])
    assert en[0] == de[0] == 422 and en[1]["error"] == de[1]["error"] == "validation_failed"
    assert en[1]["message"] == "the request is not valid"
    assert de[1]["message"] == "die Anfrage ist ungültig"
    assert de[1]["details"] and len(de[1]["details"]) == len(en[1]["details"])


def test_the_header_wins_over_the_accounts_language_and_the_account_over_english(client, p):
    set_language("officer", "cs")
    token = bearer(token_for("officer"))

    def message(headers: dict[str, str]) -> str:
        status, body = _error(client, "POST", "/api/v1/cases", {**token, **headers}, json=[])
        assert status == 422 and body["error"] == "validation_failed"
        return body["message"]

    assert message({"Accept-Language": "it"}) == "la richiesta non è valida"
    client.headers.pop("accept-language", None)
    assert message({}) == "požadavek není platný"
    set_language("officer", None)
    assert message({}) == "the request is not valid"


def test_an_unknown_or_malformed_language_is_answered_in_english(client, p):
    token = bearer(token_for("officer"))
    for header in ("ja", "xx-YY;q=abc", "*", "fr;q=0"):
        body = _error(client, "GET", "/api/v1/nowhere", {**token, "Accept-Language": header})[1]
        assert body["message"] == "there is nothing at this address", header
