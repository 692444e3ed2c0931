"""A real headless browser for the HTML checks: Debian's chromium through chromedriver.

JavaScript is disabled, so a page that passes here works without it. The OP under test serves a
development certificate on 127.0.0.1, which the browser is told to accept (loopback only).
"""

import os

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("STRONGROOM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("STRONGROOM_CHROMEDRIVER", "/usr/bin/chromedriver")


def headless_browser(javascript: bool = False) -> webdriver.Chrome:
    """A headless chromium; the caller quits it. JavaScript stays off unless asked for."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--window-size=1280,2000"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.accept_insecure_certs = True
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_for(driver, by, value, timeout=20):
    """The element once the page that has it is loaded (a click that submits a form returns before
    the next page is there); on timeout, an AssertionError naming the page that is shown instead."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout).until(expected_conditions.presence_of_element_located((by, value)))
    except TimeoutException:
        body = driver.find_element("tag name", "body").text[:600]
        raise AssertionError(f"no {value!r} on {driver.current_url} after {timeout} s; the page shows: {body!r}")


def wait_until(driver, condition, what, timeout=20):
    """Waits until `condition(driver)` is truthy (e.g. a row's status after a form post)."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        body = driver.find_element("tag name", "body").text[:600]
        raise AssertionError(f"{what} did not happen within {timeout} s on {driver.current_url}: {body!r}")
