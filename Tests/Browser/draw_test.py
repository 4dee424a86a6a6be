#!/usr/bin/env python3
"""Real-browser test of the `digits serve` drawing page.

Drives headless Chromium (Debian's chromium + chromium-driver) with Selenium against a
running server:

    python3 Tests/Browser/draw_test.py --url http://127.0.0.1:PORT/ \
        --screenshot .build/browser-test/screenshot.png [--examples docs/examples]

Draws digits with W3C pointer actions (touch, mouse and pen pointers), uses Clear, Undo,
Predict, Escape, file upload and the multi-digit mode, and checks the page's DOM contract:
`#result[data-state]` ("empty" | "busy" | "done" | "error"), `#result[data-count]` (number of
predictions shown), `#digit`, `#bars .bar`, `#seen`, `#status[data-ready]`.

Prints each check as it passes; exits 0 when all pass, 1 with one message per failed check
(and the browser console) otherwise, 2 when the browser cannot be started. Every wait has a
timeout (--timeout, 60 s unless given), so it never hangs; the timeout is a guard against a
hang, not a measure: what a check waits for is a state of the page (`#result[data-settled]`
says no prediction is waiting or in flight), never a quiet time.
"""

import argparse
import os
import shutil
import sys
import time
import traceback

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

PAD = 280  # the pad's internal size in pixels
EN_DASH = "\u2013"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class CheckFailed(Exception):
    pass


class Abort(Exception):
    """A failed check that the rest cannot run without."""


def find_binary(explicit, names):
    for candidate in ([explicit] if explicit else []) + names:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    return None


class Page:
    def __init__(self, driver, timeout):
        self.d = driver
        self.timeout = timeout  # seconds, for every wait: a hang guard
        self.pointer_notes = []

    # -- reading the DOM contract -------------------------------------------------------
    def el(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def attr(self, css, name):
        return self.d.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            css, name)

    def text(self, css):
        return self.d.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null;", css)

    def count(self):
        value = self.attr("#result", "data-count")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise CheckFailed(f"#result data-count is {value!r}, not a number")

    def state(self):
        return self.attr("#result", "data-state")

    def describe(self):
        return (f"data-state={self.state()!r} data-count={self.attr('#result', 'data-count')!r} "
                f"#digit={self.text('#digit')!r} #confidence={self.text('#confidence')!r} "
                f"#status={self.text('#status')!r}")

    # -- waiting ---------------------------------------------------------------------------
    def wait_for(self, what, predicate):
        timeout = self.timeout
        deadline = time.monotonic() + timeout
        while True:
            try:
                if predicate():
                    return
            except CheckFailed:
                raise
            except WebDriverException:
                pass
            if time.monotonic() > deadline:
                raise CheckFailed(f"timed out after {timeout:.0f} s waiting for {what}; page: {self.describe()}")
            time.sleep(0.05)

    def settled(self):
        return self.attr("#result", "data-settled") == "1"

    def wait_settled(self, what):
        """Waits until no prediction is waiting to start or in flight."""
        self.wait_for(f"no prediction waiting or in flight after {what}", self.settled)

    def wait_prediction(self, before, what):
        """Waits until data-count > before and no prediction is waiting or in flight (live
        prediction may answer more than once for one drawing; the last answer is the one for
        the whole drawing)."""
        self.wait_for(f"a new, settled prediction after {what} (data-count > {before})",
                      lambda: self.count() > before and self.settled())
        if self.state() != "done":
            raise CheckFailed(f"after {what} #result data-state is {self.state()!r}, expected 'done'; page: {self.describe()}")
        return self.count()

    def expect_digit(self, expected, what):
        got = self.text("#digit")
        if got != expected:
            raise CheckFailed(f"after {what} #digit is {got!r}, expected {expected!r}; page: {self.describe()}")

    def ink(self, x, y):
        """Whether the pad is dark at internal pixel (x, y)."""
        return self.d.execute_script(
            "const d = document.querySelector('#pad').getContext('2d').getImageData(arguments[0], arguments[1], 1, 1).data;"
            "return d[0] + d[1] + d[2] < 3 * 128;", x, y)

    def expect_empty(self, what):
        self.wait_for(f"#result data-state 'empty' after {what}", lambda: self.state() == "empty")
        got = self.text("#digit")
        if got != EN_DASH:
            raise CheckFailed(f"after {what} #digit is {got!r}, expected {EN_DASH!r} (en dash)")

    # -- acting ----------------------------------------------------------------------------
    def click(self, css):
        self.el(css).click()

    def draw(self, strokes, kind="mouse", steps=20):
        """Draws strokes, each a list of (x, y) points in the pad's 280x280 internal
        pixels, with a W3C pointer of `kind`; lines between points get `steps` moves each.
        Falls back to a mouse if the driver rejects the pointer kind."""
        pad = self.el("#pad")
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'});", pad)
        rect = self.d.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", pad)
        width, height = rect
        if width < 10 or height < 10:
            raise CheckFailed(f"#pad is rendered {width}x{height} CSS pixels, too small to draw on")

        def offset(x, y):  # W3C element origin: offsets from the element's centre
            return round((x / PAD - 0.5) * width), round((y / PAD - 0.5) * height)

        def build(k):
            builder = ActionBuilder(self.d, mouse=PointerInput(k, f"digits-{k}"), duration=10)
            actions = builder.pointer_action
            for stroke in strokes:
                actions.move_to(pad, *offset(*stroke[0]))
                actions.pointer_down()
                for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
                    for i in range(1, steps + 1):
                        t = i / steps
                        actions.move_to(pad, *offset(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
                actions.pointer_up()
            return builder

        try:
            build(kind).perform()
            return kind
        except WebDriverException as error:
            if kind == "mouse":
                raise
            note = f"driver rejected pointer kind {kind!r} ({error.msg}); drew with a mouse instead"
            print(f"  note: {note}")
            self.pointer_notes.append(note)
            ActionBuilder(self.d).clear_actions()
            build("mouse").perform()
            return "mouse"


ONE = [[(140, 50), (140, 230)]]
SEVEN = [[(70, 60), (210, 60)], [(210, 60), (125, 235)]]
STRAY = [[(120, 245), (215, 245)]]  # a bar under the 7: it may read as a 2


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the page, e.g. http://127.0.0.1:8080/")
    parser.add_argument("--screenshot", required=True, help="PNG to write (its folder is created)")
    parser.add_argument("--examples", default=os.path.join(ROOT, "docs", "examples"),
                        help="folder with seven.png and number-2024.png")
    parser.add_argument("--pictures", default=os.path.join(ROOT, "Tests", "Pictures"),
                        help="folder with the phone pictures of a 7 (seven.webp, seven.heic, ...)")
    parser.add_argument("--chromium", help="browser binary (default: chromium on PATH)")
    parser.add_argument("--chromedriver", help="driver binary (default: /usr/bin/chromedriver, else on PATH)")
    parser.add_argument("--show", action="store_true", help="run with a visible window (needs a display)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds any one wait may take before the check fails: a hang guard (default 60)")
    args = parser.parse_args()

    examples = os.path.abspath(args.examples)
    screenshot = os.path.abspath(args.screenshot)
    os.makedirs(os.path.dirname(screenshot), exist_ok=True)
    if os.path.exists(screenshot):
        os.remove(screenshot)  # so a stale picture never passes for this run's

    chromium = find_binary(args.chromium, ["chromium", "chromium-browser", "google-chrome"])
    driver_path = find_binary(args.chromedriver, ["/usr/bin/chromedriver", "chromedriver"])
    if not chromium or not driver_path:
        print("FAIL: setup: " + ", ".join(
            f"{name} not found" for name, path in [("chromium", chromium), ("chromedriver", driver_path)] if not path)
            + " (Debian: apt-get install chromium chromium-driver)")
        return 2

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    flags = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,1100"]
    if not args.show:
        flags.insert(0, "--headless=new")
    for flag in flags:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    started = time.monotonic()
    try:
        # An explicit driver path: selenium-manager never runs (it would try the network).
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except WebDriverException as error:
        print(f"FAIL: setup: could not start {chromium} with {driver_path}: {error.msg}")
        return 2
    driver.set_page_load_timeout(args.timeout)
    driver.set_script_timeout(args.timeout)

    page = Page(driver, args.timeout)
    failures = []
    console = []

    def read_console():
        try:
            console.extend(driver.get_log("browser"))
        except WebDriverException:
            pass

    def check(name, body, fatal=False):
        start = time.monotonic()
        try:
            detail = body()
            took = f"{time.monotonic() - start:.1f} s"
            print(f"ok: {name} ({detail + '; ' if detail else ''}{took})", flush=True)
            return True
        except CheckFailed as error:
            message = str(error)
        except WebDriverException as error:
            message = f"{type(error).__name__}: {error.msg}"
        except Exception as error:  # a bug in this script: say where
            message = f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
        failures.append(f"{name}: {message}")
        print(f"FAIL: {name}: {message}", flush=True)
        if fatal:
            raise Abort
        return False

    def fresh(what):
        """Clears the pad and waits for the empty state, so each check starts alike."""
        page.click("#clear")
        page.expect_empty(what)

    # 1. The page loads and fetches the model.
    def loads():
        driver.get(args.url)
        page.wait_for("#status data-ready='1' (the page fetched /api/model)",
                      lambda: page.attr("#status", "data-ready") == "1")
        if "error" in (page.attr("#status", "class") or "").split():
            raise CheckFailed(f"#status shows an error after loading: {page.text('#status')!r}")
        for css in ["#pad", "#clear", "#undo", "#predict", "#multi", "#upload", "#drop", "#result", "#digit",
                    "#confidence", "#bars", "#seen"]:
            if not driver.find_elements(By.CSS_SELECTOR, css):
                raise CheckFailed(f"the page has no {css}")
        size = driver.execute_script("const c = document.querySelector('#pad'); return [c.width, c.height];")
        if size != [PAD, PAD]:
            raise CheckFailed(f"#pad is {size[0]}x{size[1]} internal pixels, expected {PAD}x{PAD}")
        return f"status: {page.text('#status')!r}"

    # 2. A "1", predicted live (Predict is never pressed).
    def draw_one():
        before = page.count()
        kind = page.draw(ONE, kind="touch")
        page.wait_prediction(before, f"drawing a 1 ({kind} pointer)")
        page.expect_digit("1", "drawing a 1")
        return f"{kind} pointer, confidence {page.text('#confidence')!r}"

    # 3. Clear empties the result.
    def clear():
        page.click("#clear")
        page.expect_empty("pressing Clear")

    # 4. A "7" in two strokes; a stray stroke; Undo removes it.
    def draw_seven_and_undo():
        fresh("Clear before drawing a 7")
        before = page.count()
        kind = page.draw(SEVEN, kind="mouse")
        before = page.wait_prediction(before, f"drawing a 7 ({kind} pointer)")
        page.expect_digit("7", "drawing a 7")
        page.draw(STRAY, kind="mouse")
        before = page.wait_prediction(before, "a stray stroke")
        stray = page.text("#digit")
        probe = (200, 245)  # on the stray stroke, away from the 7
        if not page.ink(*probe):
            raise CheckFailed(f"the stray stroke left no ink on #pad at {probe}")
        page.click("#undo")
        page.wait_prediction(before, "pressing Undo")
        if page.ink(*probe):
            raise CheckFailed(f"Undo left the stray stroke's ink on #pad at {probe}")
        if not page.ink(140, 60):
            raise CheckFailed("Undo also removed the 7's top bar (no ink at (140, 60))")
        page.expect_digit("7", "Undo of the stray stroke")
        return f"{kind} pointer; with the stray stroke it read {stray!r}"

    # 5. Predict with an empty pad sends nothing and shows the empty state.
    def predict_empty():
        fresh("Clear")
        before = page.count()
        page.click("#predict")
        page.wait_settled("Predict on an empty pad")
        page.expect_empty("Predict on an empty pad")
        if page.count() != before:
            raise CheckFailed(f"Predict on an empty pad changed data-count from {before} to {page.count()}")

    # 6. Uploading an image predicts it.
    def upload_seven():
        path = os.path.join(examples, "seven.png")
        if not os.path.isfile(path):
            raise CheckFailed(f"missing example {path}")
        before = page.count()
        page.el("#upload").send_keys(path)
        page.wait_prediction(before, "uploading seven.png")
        page.expect_digit("7", "uploading seven.png")

    # 6b. Pictures as phones and browsers save them: a portrait JPEG turned upright by its EXIF
    # orientation, WebP, and HEIC (which Chromium cannot show: the page sends it all the same).
    def upload_phone_pictures():
        for name in ["seven-orientation-6.jpg", "seven.webp", "seven.heic"]:
            path = os.path.join(args.pictures, name)
            if not os.path.isfile(path):
                raise CheckFailed(f"missing picture {path}")
            before = page.count()
            page.el("#upload").send_keys(path)
            page.wait_prediction(before, f"uploading {name}")
            page.expect_digit("7", f"uploading {name}")

    # 7. Multi-digit mode reads a number, and several numbers each in a frame.
    def upload_number():
        for name in ["number-2024.png", "numbers-form.png"]:
            if not os.path.isfile(os.path.join(examples, name)):
                raise CheckFailed(f"missing example {os.path.join(examples, name)}")
        multi = page.el("#multi")
        if not multi.is_selected():
            multi.click()
        if not multi.is_selected():
            raise CheckFailed("clicking #multi did not check it")
        page.wait_settled("toggling #multi")  # toggling may re-predict the current image
        for name, expected, frames in [("number-2024.png", "2024", "1"), ("numbers-form.png", "72104 149 59", "3")]:
            before = page.count()
            page.el("#upload").send_keys(os.path.join(examples, name))
            page.wait_prediction(before, f"uploading {name} in multi mode")
            page.expect_digit(expected, f"uploading {name} in multi mode")
            if page.attr("#pad", "data-numbers") != frames:
                raise CheckFailed(
                    f"#pad data-numbers is {page.attr('#pad', 'data-numbers')!r} after {name}, expected {frames!r}")
        multi.click()  # back to single digits for the rest
        if multi.is_selected():
            raise CheckFailed("clicking #multi again did not uncheck it")
        page.wait_settled("unchecking #multi")

    # 8. Ten bars and the 28x28 preview.
    def bars_and_preview():
        digits = driver.execute_script(
            "return [...document.querySelectorAll('#bars .bar')].map(b => b.getAttribute('data-digit'));")
        if len(digits) != 10:
            raise CheckFailed(f"#bars has {len(digits)} .bar children, expected 10")
        if digits != [str(i) for i in range(10)]:
            raise CheckFailed(f"#bars .bar data-digit values are {digits}, expected '0'..'9' in order")
        seen = driver.execute_script(
            "const c = document.querySelector('#seen'); return [c.tagName, c.width, c.height];")
        if seen != ["CANVAS", 28, 28]:
            raise CheckFailed(f"#seen is {seen[0]} {seen[1]}x{seen[2]}, expected a CANVAS 28x28")

    # 9. Keyboard: the controls take focus; Escape clears.
    def keyboard():
        unfocusable = []
        for css in ["#clear", "#undo", "#predict", "#multi", "#upload", "#pad"]:
            ok = driver.execute_script(
                "const e = document.querySelector(arguments[0]); e.focus();"
                "const ok = e.tabIndex >= 0 && document.activeElement === e; e.blur(); return ok;", css)
            if not ok:
                unfocusable.append(css)
        if unfocusable:
            raise CheckFailed(f"not focusable from the keyboard: {', '.join(unfocusable)}")
        fresh("Clear before the Escape check")
        before = page.count()
        page.draw(ONE, kind="mouse")
        page.wait_prediction(before, "drawing a 1 before Escape")
        driver.execute_script("document.activeElement && document.activeElement.blur();")
        ActionChains(driver).send_keys(Keys.ESCAPE).perform()
        page.expect_empty("pressing Escape on the page")

    # 10. A final 7 (pen) for the screenshot.
    def screenshot_seven():
        fresh("Clear before the screenshot")
        before = page.count()
        kind = page.draw(SEVEN, kind="pen")
        page.wait_prediction(before, f"drawing a 7 ({kind} pointer)")
        page.expect_digit("7", "drawing a 7 for the screenshot")
        if not driver.save_screenshot(screenshot):
            raise CheckFailed(f"could not write {screenshot}")
        return f"{kind} pointer, screenshot {screenshot}"

    def no_page_errors():
        read_console()
        errors = [e["message"] for e in console if e.get("level") == "SEVERE"]
        if errors:
            raise CheckFailed("the browser console has errors:\n  " + "\n  ".join(errors))

    checks = [
        ("1. page loads and fetches the model", loads),
        ("2. a drawn 1 is predicted live", draw_one),
        ("3. Clear empties the result", clear),
        ("4. a drawn 7 is predicted; Undo removes a stray stroke", draw_seven_and_undo),
        ("5. Predict on an empty pad stays empty", predict_empty),
        ("6. uploading seven.png predicts 7", upload_seven),
        ("6b. uploading a turned JPEG, a WebP and a HEIC predicts 7", upload_phone_pictures),
        ("7. multi mode reads number-2024.png as 2024 and numbers-form.png as three framed numbers", upload_number),
        ("8. ten bars and a 28x28 preview", bars_and_preview),
        ("9. controls are focusable and Escape clears", keyboard),
        ("10. a drawn 7 and a screenshot", screenshot_seven),
        ("11. no errors in the browser console", no_page_errors),
    ]
    try:
        for i, (name, body) in enumerate(checks):
            check(name, body, fatal=(i == 0))  # nothing else can run without the page
    except Abort:
        pass
    finally:
        if failures:
            try:  # a picture of the page as it failed, unless the final one was taken
                if not os.path.exists(screenshot):
                    driver.save_screenshot(screenshot)
            except WebDriverException:
                pass
            read_console()
        driver.quit()

    elapsed = time.monotonic() - started
    for note in page.pointer_notes:
        print(f"note: {note}")
    if failures:
        print(f"\n{len(failures)} of {len(checks)} checks failed ({elapsed:.1f} s):")
        for failure in failures:
            print(f"  - {failure.splitlines()[0]}")
        if console:
            print("browser console:")
            for entry in console:
                print(f"  [{entry.get('level')}] {entry.get('message')}")
        else:
            print("browser console: (empty)")
        print(f"screenshot: {screenshot}")
        return 1
    print(f"all {len(checks)} checks passed ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
