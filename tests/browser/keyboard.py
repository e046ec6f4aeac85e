"""Keyboard only: reach a control with Tab (Shift+Tab when it lies before the focus), then type, press Enter
or Space, or move through a radio group or a select with the arrow keys. Nothing is clicked."""

_IS_ACTIVE = "el => document.activeElement === el"
_FORWARD = """el => { const a = document.activeElement;
  return !a || a === document.body || !!(a.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING); }"""


class Keyboard:
    def __init__(self, page, *, limit: int = 400):
        self.page = page
        self.limit = limit
        self.presses = 0

    def _handle(self, selector: str):
        locator = self.page.locator(selector)
        assert locator.count() >= 1, f"nothing matches {selector} on {self.page.url}"
        return locator.first.element_handle()

    def focus(self, selector: str):
        """Tab (or Shift+Tab) until `selector` has the focus; fails if Tab never gets there."""
        handle = self._handle(selector)
        for _ in range(self.limit):
            if self.page.evaluate(_IS_ACTIVE, handle):
                return handle
            self.page.keyboard.press("Tab" if self.page.evaluate(_FORWARD, handle) else "Shift+Tab")
            self.presses += 1
        raise AssertionError(f"Tab never reaches {selector} on {self.page.url}")

    def type(self, selector: str, text: str):
        self.focus(selector)
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.type(text)

    def _first_part(self, handle):
        """Tab moves between the parts of a date field too: Shift+Tab out of it, then Tab into its first part."""
        for _ in range(4):
            self.page.keyboard.press("Shift+Tab")
            if not self.page.evaluate(_IS_ACTIVE, handle):
                break
        self.page.keyboard.press("Tab")
        assert self.page.evaluate(_IS_ACTIVE, handle)

    def date(self, selector: str, day):
        """A date field: its parts typed one after the other (a full part moves on to the next by itself). The
        order of the parts is the browser's own (month, day, year in Chromium's default), so the orders are tried
        until the field holds the date; a wrong try is cleared part by part with Backspace."""
        handle = self.focus(selector)
        parts = {"day": f"{day.day:02d}", "month": f"{day.month:02d}", "year": f"{day.year:04d}"}
        for order in (("month", "day", "year"), ("day", "month", "year"), ("year", "month", "day")):
            self._first_part(handle)
            for _ in range(3):
                self.page.keyboard.press("Backspace")
                self.page.keyboard.press("Tab")
            self.focus(selector)
            self._first_part(handle)
            for index, part in enumerate(order):
                self.page.keyboard.type(parts[part])
                if part == "year" and index < 2:
                    self.page.keyboard.press("Tab")  # a year may have more digits: move on
            if handle.evaluate("el => el.value") == day.isoformat():
                return
        raise AssertionError(f"{selector}: {handle.evaluate('el => el.value')!r} is not {day.isoformat()}")

    def press(self, selector: str, key: str = "Enter"):
        self.focus(selector)
        self.page.keyboard.press(key)

    def follow(self, selector: str):
        """Enter on a link or a button, and wait for the page that comes."""
        with self.page.expect_navigation():
            self.press(selector, "Enter")
        self.page.wait_for_load_state()

    def check(self, selector: str):
        handle = self.focus(selector)
        if not handle.evaluate("el => el.checked"):
            self.page.keyboard.press("Space")
        assert handle.evaluate("el => el.checked"), selector

    def choose(self, name: str, value: str):
        """A radio group: Tab lands on its checked (or first) radio, the arrow keys move and check."""
        group = self.page.locator(f"input[type=radio][name='{name}']")
        checked = self.page.locator(f"input[type=radio][name='{name}']:checked")
        self.focus(f"input[type=radio][name='{name}']:checked" if checked.count() else
                   f"input[type=radio][name='{name}'] >> nth=0")
        for _ in range(group.count() + 1):
            if self.page.locator(f"input[type=radio][name='{name}'][value='{value}']").is_checked():
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{name}={value} cannot be chosen with the arrow keys")

    def select(self, selector: str, label: str | None = None, *, value: str | None = None):
        """A select: focused, then the arrow keys until the option with `label` (or `value`) is chosen."""
        handle = self.focus(selector)
        labels = handle.evaluate("el => [...el.options].map(o => o.text.trim())")
        values = handle.evaluate("el => [...el.options].map(o => o.value)")
        if value is not None:
            assert value in values, f"{value!r} not among {values}"
            target = values.index(value)
        else:
            assert label in labels, f"{label!r} not among {labels}"
            target = labels.index(label)
        current = handle.evaluate("el => el.selectedIndex")
        key = "ArrowDown" if target > current else "ArrowUp"
        for _ in range(abs(target - current)):
            self.page.keyboard.press(key)
        assert handle.evaluate("el => el.selectedIndex") == target, f"{selector}: {label!r} not selected"
