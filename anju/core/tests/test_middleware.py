"""RUN-3: Chinese by default; the language changes only when the user picks one."""

from django.conf import settings


def test_english_browser_still_gets_chinese(world, client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_language_switch_chooses_english_and_back(world, client):
    english = {"HTTP_ACCEPT_LANGUAGE": "en-US,en"}
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"}, **english)
    assert switched.status_code == 302
    assert '<html lang="en">' in client.get("/login/", **english).content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    assert '<html lang="zh-hans">' in client.get("/login/", **english).content.decode()


def test_unknown_language_cookie_falls_back_to_chinese(world, client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="zh-hans">' in response.content.decode()
