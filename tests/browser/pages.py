"""What every browser test does with a page: sign in and out, and check a page as a person
on a phone or a desktop meets it (axe WCAG 2.1 AA, nothing wider than the screen, nothing
from another site, nothing the Content-Security-Policy would refuse)."""
from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.people import factories as pf

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # a current phone, portrait
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
# The policy the service is served with (no inline script or style anywhere); pages are
# checked under it here, so an inline script or style is caught even before the app sends it.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'self'"


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(pf.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


class Watch:
    """Records, for a browser context, every request to another origin and every console
    error (CSP refusals are reported there), with the CSP added to each page's response."""

    def __init__(self, context: BrowserContext, base: str):
        self.base = base
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        self.documents: set[str] = set()
        context.route("**/*", self._route)
        context.on("console", self._console)
        context.on("weberror", lambda e: self.errors.append(str(e.error)))

    def _console(self, message) -> None:
        url = message.location.get("url")
        # A page answered with its error status (a 400 form, a 401 sign-in) is meant, not a fault.
        if message.type == "error" and not (message.text.startswith("Failed to load resource") and url in self.documents):
            self.errors.append(f"{message.text} ({url})")

    def _route(self, route):
        url = route.request.url
        if route.request.resource_type == "document":
            self.documents.add(url)
        if not url.startswith(self.origin) and not url.startswith("data:"):
            self.elsewhere.append(url)
            return route.abort()
        try:
            # Hand redirects to the browser, so the page's URL is where the server sent it.
            response = route.fetch(max_redirects=0)
            headers = dict(response.headers)
            if headers.get("content-type", "").startswith("text/html"):
                headers["content-security-policy"] = CSP
            route.fulfill(response=response, headers=headers)
        except PlaywrightError as error:
            # The page moved on or closed while this request was in flight: the browser
            # abandoned it, which is not a fault of the page.
            if "disposed" not in str(error) and "closed" not in str(error):
                raise
