"""Opens a `strongroom audit --format html` report in a real headless browser (Debian's chromium,
JavaScript off) and prints, as one JSON line, what a reader sees: the visible text's missing
expectations, the timeline entries and their verification marks, the decoded artifacts, whether
any script element exists, and whether the page prints (PDF bytes)."""

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from browser import headless_browser  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.print_page_options import PrintOptions  # noqa: E402


def main():
    path = pathlib.Path(sys.argv[1]).resolve()
    expected = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    driver = headless_browser()
    try:
        driver.get(path.as_uri())
        body = driver.find_element(By.TAG_NAME, "body").text
        events = driver.find_elements(By.CSS_SELECTOR, "div.event")
        facts = {
            "ok": True,
            "title": driver.title,
            "events": len(events),
            "event_types": [e.find_element(By.TAG_NAME, "code").text for e in events],
            "event_marks": [e.find_element(By.CSS_SELECTOR, "span.mark").text for e in events],
            "artifacts": [a.find_element(By.TAG_NAME, "strong").text for a in
                          driver.find_elements(By.CSS_SELECTOR, "div.artifact")],
            "artifact_marks": [a.find_element(By.CSS_SELECTOR, "span.mark").text for a in
                               driver.find_elements(By.CSS_SELECTOR, "div.artifact")],
            "decoded": [p.text for p in driver.find_elements(By.TAG_NAME, "pre")][:40],
            "summary": driver.find_element(By.ID, "summary").text,
            "scripts": len(driver.find_elements(By.TAG_NAME, "script")),
            "missing": [text for text in expected if text not in body],
            "pdf_bytes": len(driver.print_page(PrintOptions())),
        }
    except Exception as error:  # noqa: BLE001
        facts = {"ok": False, "error": repr(error)}
    finally:
        driver.quit()
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
